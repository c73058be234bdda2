import type { Container, Tag, Task, TaskOverride } from "@aws-sdk/client-ecs";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

/** A container as stored: the API shape. */
export type StoredContainer = Container & { name: string; containerArn: string };

/** A task as stored: the API shape with epoch-ms timestamps; tags are kept beside it. */
export type StoredTask = Omit<
  Task,
  | "createdAt"
  | "startedAt"
  | "stoppedAt"
  | "stoppingAt"
  | "pullStartedAt"
  | "pullStoppedAt"
  | "executionStoppedAt"
  | "connectivityAt"
  | "containers"
  | "overrides"
  | "tags"
> & {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: "RUNNING" | "STOPPED";
  containers: StoredContainer[];
  overrides: TaskOverride;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stoppingAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  connectivityAt?: number;
};

/** The network interface of an awsvpc task (the EC2 record is ec2.eni; this is what the agent needs). */
export interface TaskNetworkRecord {
  attachmentId: string;
  eniId: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  macAddress: string;
  groupIds: string[];
  /** The local "public" address (assignPublicIp ENABLED). */
  publicIp?: string;
}

export interface TaskRecord {
  id: string;
  cluster: string;
  /** Container instance id (EC2 launch type). */
  instanceId?: string;
  /** A stopping task keeps running until then (epoch ms) while its load balancer targets drain. */
  stopNotBefore?: number;
  /** The Berth-managed Fargate host running the task (FARGATE launch type); see fargate-hosts.ts. */
  fargateHost?: string;
  /** awsvpc tasks: their network interface. */
  network?: TaskNetworkRecord;
  task: StoredTask;
  tags: Tag[];
}

export const taskKey = (region: string, cluster: string, id: string) => `${region}/${cluster}/${id}`;
const onInstanceKey = (region: string, cluster: string, instanceId: string, taskId: string) =>
  `${region}/${cluster}/${instanceId}/${taskId}`;
const onFargateHostKey = (region: string, hostId: string, cluster: string, taskId: string) =>
  `${region}/${hostId}/${cluster}/${taskId}`;

export const getTask = (tx: ReadTx, region: string, cluster: string, id: string) =>
  tx.get<TaskRecord>(K.task, taskKey(region, cluster, id));

export async function createTask(tx: WriteTx, region: string, rec: TaskRecord): Promise<void> {
  await tx.put(K.task, taskKey(region, rec.cluster, rec.id), rec, { expectVersion: 0 });
  if (rec.instanceId)
    await tx.put(
      K.taskOnInstance,
      onInstanceKey(region, rec.cluster, rec.instanceId, rec.id),
      {},
      { expectVersion: 0 },
    );
  if (rec.fargateHost)
    await tx.put(
      K.taskOnFargateHost,
      onFargateHostKey(region, rec.fargateHost, rec.cluster, rec.id),
      {},
      { expectVersion: 0 },
    );
}

export const putTask = (tx: WriteTx, region: string, rec: TaskRecord, expectVersion: number) =>
  tx.put(K.task, taskKey(region, rec.cluster, rec.id), rec, { expectVersion });

export async function deleteTask(tx: WriteTx, region: string, rec: TaskRecord): Promise<void> {
  await tx.delete(K.task, taskKey(region, rec.cluster, rec.id));
  if (rec.instanceId)
    await tx.delete(K.taskOnInstance, onInstanceKey(region, rec.cluster, rec.instanceId, rec.id));
  if (rec.fargateHost)
    await tx.delete(K.taskOnFargateHost, onFargateHostKey(region, rec.fargateHost, rec.cluster, rec.id));
}

export const listTasks = (tx: ReadTx, region: string, cluster: string): Promise<StoredRecord<TaskRecord>[]> =>
  tx.scan<TaskRecord>(K.task, { prefix: `${region}/${cluster}/` });

/** The tasks placed on one container instance. */
export async function tasksOnInstance(
  tx: ReadTx,
  region: string,
  cluster: string,
  instanceId: string,
): Promise<StoredRecord<TaskRecord>[]> {
  const index = await tx.scan(K.taskOnInstance, { prefix: `${region}/${cluster}/${instanceId}/` });
  const out: StoredRecord<TaskRecord>[] = [];
  for (const entry of index) {
    const taskId = entry.key.slice(entry.key.lastIndexOf("/") + 1);
    const t = await getTask(tx, region, cluster, taskId);
    if (t) out.push(t);
  }
  return out;
}

/** The tasks a Fargate host runs, in every cluster of the region. */
export async function tasksOnFargateHost(
  tx: ReadTx,
  region: string,
  hostId: string,
): Promise<StoredRecord<TaskRecord>[]> {
  const index = await tx.scan(K.taskOnFargateHost, { prefix: `${region}/${hostId}/` });
  const out: StoredRecord<TaskRecord>[] = [];
  for (const entry of index) {
    const [, , cluster, taskId] = entry.key.split("/");
    const t = await getTask(tx, region, cluster!, taskId!);
    if (t) out.push(t);
  }
  return out;
}
