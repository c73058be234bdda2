/**
 * Task-level CPU and memory limits. Docker limits containers one by one; an ECS task-level size
 * limits the task as a whole, so the agent makes a cgroup for the task with those limits and
 * starts the task's containers under it (CgroupParent). Works on cgroup v1 and v2.
 */
import { access, mkdir, rmdir, writeFile } from "node:fs/promises";

const ROOT = "/sys/fs/cgroup";
const CFS_PERIOD_US = 100_000;

export interface TaskLimits {
  /** CPU units (1024 = one vCPU). */
  cpu?: number;
  memoryMiB?: number;
}

export class TaskCgroups {
  private v2: boolean | undefined;

  constructor(private readonly prefix = "berth") {}

  private async unified(): Promise<boolean> {
    if (this.v2 === undefined) {
      this.v2 = await access(`${ROOT}/cgroup.controllers`).then(
        () => true,
        () => false,
      );
    }
    return this.v2;
  }

  /** Create the task's cgroup with its limits; returns the CgroupParent path for Docker. */
  async create(taskId: string, limits: TaskLimits): Promise<string> {
    if (!/^[a-f0-9]{32}$/.test(taskId)) throw new Error("invalid task id");
    const rel = `/${this.prefix}/${taskId}`;
    if (await this.unified()) {
      await mkdir(`${ROOT}${rel}`, { recursive: true });
      if (limits.memoryMiB)
        await writeFile(`${ROOT}${rel}/memory.max`, String(limits.memoryMiB * 1024 * 1024));
      if (limits.cpu)
        await writeFile(
          `${ROOT}${rel}/cpu.max`,
          `${Math.round((limits.cpu / 1024) * CFS_PERIOD_US)} ${CFS_PERIOD_US}`,
        );
      return rel;
    }
    await mkdir(`${ROOT}/memory${rel}`, { recursive: true });
    await mkdir(`${ROOT}/cpu${rel}`, { recursive: true });
    if (limits.memoryMiB) {
      await writeFile(`${ROOT}/memory${rel}/memory.limit_in_bytes`, String(limits.memoryMiB * 1024 * 1024));
    }
    if (limits.cpu) {
      await writeFile(`${ROOT}/cpu${rel}/cpu.cfs_period_us`, String(CFS_PERIOD_US));
      await writeFile(
        `${ROOT}/cpu${rel}/cpu.cfs_quota_us`,
        String(Math.round((limits.cpu / 1024) * CFS_PERIOD_US)),
      );
    }
    return rel;
  }

  /** Remove the task's cgroup once its containers are gone (the engine removes theirs on exit). */
  async remove(taskId: string): Promise<void> {
    if (!/^[a-f0-9]{32}$/.test(taskId)) return;
    const rel = `/${this.prefix}/${taskId}`;
    const dirs = (await this.unified())
      ? [`${ROOT}${rel}`]
      : ["memory", "cpu", "cpuacct", "blkio", "devices", "freezer", "pids", "cpuset", "systemd"].map(
          (c) => `${ROOT}/${c}${rel}`,
        );
    for (const d of dirs) await rmdir(d).catch(() => undefined);
  }
}
