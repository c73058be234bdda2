import type { Tag } from "@aws-sdk/client-ecs";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { scanWhere } from "../scan.js";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K, padRevision } from "./kinds.js";

export interface TaskDefinitionRecord {
  td: StoredTaskDefinition;
  tags: Tag[];
}

/** Per family: the last revision number ever used, and how many revisions are in each status. */
export interface FamilyRecord {
  family: string;
  lastRevision: number;
  active: number;
  inactive: number;
  deleting: number;
}

// '#' sorts before every character a family name may contain, so `web` lists before `web-api`.
export const familyPrefix = (region: string, family: string) => `${region}/${family}#`;
export const taskDefinitionKey = (region: string, family: string, revision: number) =>
  `${familyPrefix(region, family)}${padRevision(revision)}`;
export const familyKey = (region: string, family: string) => `${region}/${family}`;

export const getTaskDefinition = (tx: ReadTx, region: string, family: string, revision: number) =>
  tx.get<TaskDefinitionRecord>(K.taskDefinition, taskDefinitionKey(region, family, revision));

export async function latestActiveTaskDefinition(tx: ReadTx, region: string, family: string) {
  const [hit] = await scanWhere<TaskDefinitionRecord>(
    tx,
    K.taskDefinition,
    { prefix: familyPrefix(region, family), reverse: true },
    (r) => r.td.status === "ACTIVE",
    1,
  );
  return hit;
}

export const getFamily = (tx: ReadTx, region: string, family: string) =>
  tx.get<FamilyRecord>(K.family, familyKey(region, family));

export const putFamily = (tx: WriteTx, region: string, rec: FamilyRecord, expectVersion: number) =>
  tx.put(K.family, familyKey(region, rec.family), rec, { expectVersion });

type Status = StoredTaskDefinition["status"];
const counter: Record<Status, keyof Pick<FamilyRecord, "active" | "inactive" | "deleting">> = {
  ACTIVE: "active",
  INACTIVE: "inactive",
  DELETE_IN_PROGRESS: "deleting",
};

/** Move one revision to a new status, keeping its family's counts true. */
export async function setTaskDefinitionStatus(
  tx: WriteTx,
  region: string,
  rec: StoredRecord<TaskDefinitionRecord>,
  next: StoredTaskDefinition,
): Promise<void> {
  const fam = await getFamily(tx, region, next.family);
  if (!fam) throw new Error(`family record missing for ${next.family}`);
  const counts = { ...fam.value };
  counts[counter[rec.value.td.status]]--;
  counts[counter[next.status]]++;
  await putFamily(tx, region, counts, fam.version);
  await tx.put(K.taskDefinition, rec.key, { ...rec.value, td: next }, { expectVersion: rec.version });
}

/** A task definition by its full ARN (tasks record the ARN they run). */
export async function getTaskDefinitionByArn(tx: ReadTx, region: string, arn: string) {
  const m = /:task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (!m) return undefined;
  return getTaskDefinition(tx, region, m[1]!, Number(m[2]));
}
