import type {
  CapacityProviderStrategyItem,
  ClusterConfiguration,
  ClusterSetting,
  Tag,
} from "@aws-sdk/client-ecs";
import { scanWhere } from "../scan.js";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

export interface ClusterRecord {
  name: string;
  arn: string;
  status: "ACTIVE" | "INACTIVE";
  createdAt: number;
  settings: ClusterSetting[];
  configuration?: ClusterConfiguration;
  serviceConnectDefaults?: { namespace: string };
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  tags: Tag[];
}

export const clusterKey = (region: string, name: string) => `${region}/${name}`;

export const getCluster = (tx: ReadTx, region: string, name: string) =>
  tx.get<ClusterRecord>(K.cluster, clusterKey(region, name));

export const putCluster = (tx: WriteTx, region: string, rec: ClusterRecord, expectVersion?: number) =>
  tx.put(K.cluster, clusterKey(region, rec.name), rec, expectVersion === undefined ? {} : { expectVersion });

/** Active clusters in name order (deleted ones stay describable but are not listed). */
export async function listActiveClusters(
  tx: ReadTx,
  region: string,
  opts: { afterName?: string; limit: number },
): Promise<StoredRecord<ClusterRecord>[]> {
  return scanWhere<ClusterRecord>(
    tx,
    K.cluster,
    {
      prefix: `${region}/`,
      ...(opts.afterName !== undefined ? { after: clusterKey(region, opts.afterName) } : {}),
    },
    (c) => c.status === "ACTIVE",
    opts.limit,
  );
}

/** What lives inside a cluster, for DescribeClusters counts and DeleteCluster's checks. */
export interface ClusterCounts {
  registeredContainerInstancesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
}

/**
 * Counts of a cluster's contents. Tasks, services and container instances are stored under
 * `${region}/${cluster}/` in their own kinds; their issues add the status-aware counting.
 */
export async function clusterCounts(tx: ReadTx, region: string, name: string): Promise<ClusterCounts> {
  const prefix = `${clusterKey(region, name)}/`;
  const tasks = await tx.scan<{ lastStatus?: string; desiredStatus?: string }>(K.task, { prefix });
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    if (t.value.lastStatus === "RUNNING") running++;
    else if (t.value.lastStatus !== "STOPPED" && t.value.lastStatus !== "DELETED") pending++;
  }
  const services = await tx.scan<{ status?: string }>(K.service, { prefix });
  return {
    registeredContainerInstancesCount: await tx.count(K.containerInstance, prefix),
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: services.filter((s) => s.value.status === "ACTIVE" || s.value.status === "DRAINING")
      .length,
  };
}
