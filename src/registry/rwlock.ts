/**
 * A readers-writer lock for asynchronous work. Upload commits hold it shared; garbage collection
 * holds it exclusively while it decides and deletes, so it never deletes a blob between an upload's
 * commit and the store record that links it.
 */
export class RwLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: { exclusive: boolean; go: () => void }[] = [];

  private pump(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (next.exclusive) {
        if (this.readers > 0 || this.writer) return;
        this.writer = true;
      } else {
        if (this.writer) return;
        this.readers++;
      }
      this.waiting.shift();
      next.go();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    return new Promise((go) => {
      this.waiting.push({ exclusive, go });
      this.pump();
    });
  }

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writer = false;
      this.pump();
    }
  }
}
