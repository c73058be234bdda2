import type { Attribute, Tag } from "@aws-sdk/client-ecs";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

export interface ContainerInstanceRecord {
  id: string;
  arn: string;
  cluster: string;
  /** The agent's name, shown as ec2InstanceId. */
  name: string;
  status: "ACTIVE" | "DRAINING" | "INACTIVE";
  registeredAt: number;
  /** Last time the agent called the control plane. */
  lastSeenAt: number;
  /** sha256 of the instance token, hex. */
  tokenHash: string;
  resources: { cpu: number; memoryMiB: number; reservedPorts: number[]; reservedUdpPorts: number[] };
  attributes: Attribute[];
  versionInfo: { agentVersion: string; agentHash: string; dockerVersion: string };
  tags: Tag[];
}

export const instanceKey = (region: string, cluster: string, id: string) => `${region}/${cluster}/${id}`;

export const getInstance = (tx: ReadTx, region: string, cluster: string, id: string) =>
  tx.get<ContainerInstanceRecord>(K.containerInstance, instanceKey(region, cluster, id));

export const putInstance = (
  tx: WriteTx,
  region: string,
  rec: ContainerInstanceRecord,
  expectVersion?: number,
) =>
  tx.put(
    K.containerInstance,
    instanceKey(region, rec.cluster, rec.id),
    rec,
    expectVersion === undefined ? {} : { expectVersion },
  );

export const listInstances = (
  tx: ReadTx,
  region: string,
  cluster: string,
): Promise<StoredRecord<ContainerInstanceRecord>[]> =>
  tx.scan<ContainerInstanceRecord>(K.containerInstance, { prefix: `${region}/${cluster}/` });

/** How long after its last call an agent still counts as connected. */
export const AGENT_TIMEOUT_MS = 60_000;

export const isConnected = (rec: ContainerInstanceRecord, now: number, timeoutMs = AGENT_TIMEOUT_MS) =>
  now - rec.lastSeenAt < timeoutMs;
