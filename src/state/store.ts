/**
 * The state store: an ordered key-value store of JSON documents, grouped by kind, with
 * transactions, per-record versions for optimistic concurrency, and a change feed.
 *
 * Keys sort as strings, so resource modules build keys whose order means something
 * (`us-east-1/family/0000000042`) and list with prefix scans. Every committed write appends to the
 * change feed with a sequence number; reconcilers and agents follow the feed.
 *
 * Contract for transaction functions: they touch only the transaction they are given, and await
 * nothing else (no network, no Docker, no timers). Transactions run one at a time.
 */

export interface StoredRecord<T = unknown> {
  readonly kind: string;
  readonly key: string;
  /** Starts at 1 on create and grows by one on every put. */
  readonly version: number;
  readonly value: T;
}

export interface ScanOptions {
  /** Only keys that start with this string. */
  prefix?: string;
  /** Only keys strictly after this one (in scan direction), for pagination. */
  after?: string;
  limit?: number;
  reverse?: boolean;
}

export interface ReadTx {
  get<T>(kind: string, key: string): Promise<StoredRecord<T> | undefined>;
  scan<T>(kind: string, opts?: ScanOptions): Promise<StoredRecord<T>[]>;
  count(kind: string, prefix?: string): Promise<number>;
  /** The sequence number of the newest committed change, as this transaction sees it. */
  seq(): Promise<number>;
}

export interface PutOptions {
  /** The version the caller read; 0 means "must not exist yet". A mismatch throws VersionConflict. */
  expectVersion?: number;
}

export interface WriteTx extends ReadTx {
  put<T>(kind: string, key: string, value: T, opts?: PutOptions): Promise<StoredRecord<T>>;
  /** Returns whether a record was deleted. */
  delete(kind: string, key: string, opts?: PutOptions): Promise<boolean>;
}

export interface Change {
  readonly seq: number;
  readonly kind: string;
  readonly key: string;
  readonly op: "put" | "delete";
  /** The record's version after a put; the deleted version for a delete. */
  readonly version: number;
}

export interface Store {
  read<R>(fn: (tx: ReadTx) => Promise<R>): Promise<R>;
  write<R>(fn: (tx: WriteTx) => Promise<R>): Promise<R>;
  /** Changes with seq greater than `afterSeq`, oldest first. */
  changesSince(afterSeq: number, limit?: number): Promise<Change[]>;
  /** The sequence number of the newest change (0 if none). */
  headSeq(): Promise<number>;
  /** Called after each commit with that commit's changes. Returns an unsubscribe function. */
  subscribe(listener: (changes: readonly Change[]) => void): () => void;
  /** Delete every record and the change history (test isolation; `berth reset`). */
  wipe(): Promise<void>;
  close(): Promise<void>;
}

/** A put or delete found a different version than the caller expected. */
export class VersionConflict extends Error {
  constructor(
    readonly kind: string,
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`version conflict on ${kind} ${key}: expected ${expected}, found ${actual}`);
    this.name = "VersionConflict";
  }
}
