/**
 * Task-level cpu and memory: the strings RegisterTaskDefinition accepts ("1024", "1 vCPU",
 * "0.25 vcpu"; "2048", "2 GB", "2GB") and the cpu/memory combinations Fargate offers.
 */

/** CPU units from a task `cpu` string, or undefined when it does not parse. */
export function parseTaskCpu(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const units = m[2] ? n * 1024 : n;
  return Number.isInteger(units) && units > 0 ? units : undefined;
}

/** MiB from a task `memory` string, or undefined when it does not parse. */
export function parseTaskMemory(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb|mb|mib|gib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]?.toLowerCase();
  const mib = unit === "gb" || unit === "gib" ? n * 1024 : n;
  return Number.isInteger(mib) && mib > 0 ? mib : undefined;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** Fargate's task sizes: cpu units → the memory values (MiB) allowed with it. */
export const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export const isFargateSize = (cpu: number, memory: number): boolean =>
  FARGATE_SIZES.get(cpu)?.includes(memory) ?? false;

/** Task cpu accepted for EC2 and EXTERNAL launch types. */
export const EC2_TASK_CPU = { min: 128, max: 196608 } as const;
