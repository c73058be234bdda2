/**
 * The network interface of an awsvpc task on the EC2 side: made with the task (in the same
 * transaction), marked attached once the task's network is up, deleted — freeing its addresses —
 * once the task has stopped or is purged. Callers: RunTask/StartTask, the service scheduler's
 * applier, the agent API's report handler and the task janitor.
 */
import { formatArn } from "../../domain/arn.js";
import { statusRank } from "../../domain/ecs/task-status.js";
import { uuid } from "../../lib/ids.js";
import { createTaskInterface, deleteInterface } from "../ec2/interfaces.js";
import { getInterface, putInterface, type SubnetRecord } from "../ec2/records.js";
import type { WriteTx } from "../store.js";
import type { TaskNetworkRecord, TaskRecord } from "./tasks.js";

export async function createTaskNetwork(
  tx: WriteTx,
  region: string,
  accountId: string,
  opts: { taskArn: string; subnet: SubnetRecord; groupIds: string[]; assignPublicIp: boolean; now: number },
): Promise<TaskNetworkRecord> {
  const attachmentId = uuid();
  const eni = await createTaskInterface(tx, region, {
    subnet: opts.subnet,
    groupIds: opts.groupIds,
    description: formatArn({ service: "ecs", region, accountId, resource: `attachment/${attachmentId}` }),
    taskArn: opts.taskArn,
    publicIp: opts.assignPublicIp,
    now: opts.now,
  });
  return {
    attachmentId,
    eniId: eni.id,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    privateIp: eni.privateIp,
    macAddress: eni.macAddress,
    groupIds: eni.groupIds,
    ...(eni.publicIp ? { publicIp: eni.publicIp } : {}),
  };
}

/** Bring the task's interface in line with the task: attached when up, gone when stopped. */
export async function syncTaskNetwork(tx: WriteTx, region: string, rec: TaskRecord): Promise<void> {
  const net = rec.network;
  if (!net) return;
  if (rec.task.lastStatus === "STOPPED") {
    await deleteInterface(tx, region, net.eniId);
    return;
  }
  if (statusRank(rec.task.lastStatus) < statusRank("PENDING")) return;
  const eni = await getInterface(tx, region, net.eniId);
  if (eni?.value.attachment && eni.value.attachment.status !== "attached")
    await putInterface(
      tx,
      region,
      { ...eni.value, attachment: { ...eni.value.attachment, status: "attached" } },
      eni.version,
    );
}

/** A purged task's interface goes with it (it should be gone already). */
export async function dropTaskNetwork(tx: WriteTx, region: string, rec: TaskRecord): Promise<void> {
  if (rec.network) await deleteInterface(tx, region, rec.network.eniId);
}
