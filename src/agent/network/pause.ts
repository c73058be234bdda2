/**
 * The pause container: the process that holds an awsvpc task's network namespace, which the task's
 * containers join (`container:<pause>`), as the ECS agent does. Its image is made here, from nothing:
 * a 129-byte static x86-64 program that calls pause(2) forever, in a one-file image imported into the
 * engine on first use (no registry needed). Killing it (SIGKILL; as PID 1 it ignores SIGTERM) frees the
 * namespace, and with it the task's end of its interface.
 */
import { createHash } from "node:crypto";
import type { DesiredTask, TaskNetworkSpec } from "../../agentapi/protocol.js";
import { LABEL, taskIdOf } from "../engine/container-spec.js";
import type { ContainerRuntime, ContainerSpec } from "../runtime/runtime.js";

/** `loop: mov eax, 34 (pause); syscall; jmp loop` in a minimal ELF64 executable. */
function pauseProgram(): Buffer {
  const code = Buffer.from([0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]);
  const base = 0x400000n;
  const headerSize = 64;
  const programHeaderSize = 56;
  const total = headerSize + programHeaderSize + code.length;
  const elf = Buffer.alloc(total);
  elf.write("\x7fELF", 0, "latin1");
  elf.set([2, 1, 1, 0], 4); // 64-bit, little-endian, version 1, System V
  elf.writeUInt16LE(2, 16); // executable
  elf.writeUInt16LE(0x3e, 18); // x86-64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(base + BigInt(headerSize + programHeaderSize), 24); // entry point
  elf.writeBigUInt64LE(BigInt(headerSize), 32); // program header offset
  elf.writeUInt16LE(headerSize, 52);
  elf.writeUInt16LE(programHeaderSize, 54);
  elf.writeUInt16LE(1, 56); // one program header
  const ph = headerSize;
  elf.writeUInt32LE(1, ph); // PT_LOAD
  elf.writeUInt32LE(5, ph + 4); // read + execute
  elf.writeBigUInt64LE(base, ph + 16); // virtual address
  elf.writeBigUInt64LE(base, ph + 24); // physical address
  elf.writeBigUInt64LE(BigInt(total), ph + 32); // size in file
  elf.writeBigUInt64LE(BigInt(total), ph + 40); // size in memory
  elf.writeBigUInt64LE(0x1000n, ph + 48); // alignment
  code.copy(elf, headerSize + programHeaderSize);
  return elf;
}

/** A tar archive holding one executable file. */
function tarOf(name: string, body: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, "utf8");
  header.write("0000755\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148); // checksum placeholder
  header.write("0", 156); // regular file
  header.write("ustar\x0000", 257, "latin1");
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

const PROGRAM = pauseProgram();
export const PAUSE_IMAGE = `berth/pause:${createHash("sha256").update(PROGRAM).digest("hex").slice(0, 12)}`;
export const PAUSE_CONTAINER_NAME = "~internal~ecs~pause";

/** Import the pause image unless the engine has it. */
export async function ensurePauseImage(runtime: ContainerRuntime): Promise<void> {
  if (await runtime.hasImage(PAUSE_IMAGE)) return;
  await runtime.importImage(PAUSE_IMAGE, tarOf("pause", PROGRAM));
}

/** The pause container of a task: no network of its own yet, the task's hostname and DNS. */
export function pauseSpec(
  task: DesiredTask,
  net: TaskNetworkSpec,
  ctx: { instanceId: string; clusterLabel: string; cgroupParent?: string | undefined },
): ContainerSpec {
  const td = task.taskDefinition;
  return {
    name: `ecs-${td.family}-${td.revision}-internalecspause-${taskIdOf(task.taskArn)}`,
    image: PAUSE_IMAGE,
    entryPoint: ["/pause"],
    labels: {
      [LABEL.instance]: ctx.instanceId,
      [LABEL.cluster]: ctx.clusterLabel,
      [LABEL.taskArn]: task.taskArn,
      [LABEL.container]: PAUSE_CONTAINER_NAME,
      [LABEL.family]: td.family,
      [LABEL.revision]: String(td.revision),
    },
    env: {},
    hostname: net.privateDnsName,
    networkMode: "none",
    ports: [],
    dns: [net.dnsServer],
    dnsSearch: [net.dnsSearch],
    ...(ctx.cgroupParent ? { cgroupParent: ctx.cgroupParent } : {}),
    stopTimeoutSec: 0,
  };
}
