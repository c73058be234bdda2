/**
 * A container's `secrets[].valueFrom` and `repositoryCredentials.credentialsParameter`, and the
 * reasons ECS stops a task with when it cannot resolve them (the agent resolves them through the
 * SSM and Secrets Manager APIs; see src/agent/secrets.ts).
 *
 * - A Secrets Manager ARN, whole (`arn:aws:secretsmanager:r:a:secret:name-AbCdEf`, or the partial
 *   ARN without the suffix) or with the `:json-key:version-stage:version-id` suffix (empty parts take
 *   the defaults: the whole value, AWSCURRENT).
 * - Anything else is an SSM parameter: a name or ARN, optionally `:version` or `:label`.
 */
import { parseArn } from "../arn.js";

export const RESOURCE_INIT =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";

export const ssmFailure = (detail: string) =>
  `${RESOURCE_INIT} unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${detail}`;
export const asmFailure = (detail: string) =>
  `${RESOURCE_INIT} unable to retrieve secret from asm: service call has been retried 1 time(s): ${detail}`;

export interface SecretsManagerReference {
  /** The secret's ARN without the suffix. */
  secretId: string;
  region: string;
  /** Empty: the whole value. */
  jsonKey: string;
  stage?: string;
  versionId?: string;
}

/**
 * The Secrets Manager reference `valueFrom` names; undefined when it names an SSM parameter;
 * "invalid" for a Secrets Manager ARN of the wrong shape.
 */
export function secretsManagerReference(valueFrom: string): SecretsManagerReference | "invalid" | undefined {
  const arn = valueFrom.startsWith("arn:") ? parseArn(valueFrom) : undefined;
  if (arn?.service !== "secretsmanager") return undefined;
  const parts = arn.resource.split(":");
  if (parts[0] !== "secret" || (parts.length !== 2 && parts.length !== 5)) return "invalid";
  return {
    secretId: `arn:${arn.partition}:secretsmanager:${arn.region}:${arn.accountId}:secret:${parts[1]}`,
    region: arn.region,
    jsonKey: parts[2] ?? "",
    ...(parts[3] ? { stage: parts[3] } : {}),
    ...(parts[4] ? { versionId: parts[4] } : {}),
  };
}

export const INVALID_ASM_ARN =
  "an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.";

/** The region an SSM reference is read in: its ARN's, else the task's. */
export function ssmRegion(valueFrom: string, taskRegion: string): string {
  const arn = valueFrom.startsWith("arn:") ? parseArn(valueFrom) : undefined;
  return arn?.service === "ssm" ? arn.region : taskRegion;
}

/** How the ECS agent (Go's %v) prints a JSON value picked out by json-key. */
function formatJsonValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null) return "<nil>";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/**
 * The value at `jsonKey` of a secret's string, as ECS gives it; or `{ error }` with ECS's detail
 * (never containing the value).
 */
export function pickJsonKey(secretId: string, value: string, jsonKey: string): string | { error: string } {
  if (jsonKey === "") return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // JSON.parse's message quotes the input; the value must not reach the stop reason.
    return {
      error: `the secret ${secretId} is not valid JSON, so json key ${jsonKey} cannot be read from it`,
    };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
    return { error: `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` };
  }
  if (!Object.hasOwn(parsed, jsonKey))
    return { error: `retrieved secret from Secrets Manager did not contain json key ${jsonKey}` };
  return formatJsonValue((parsed as Record<string, unknown>)[jsonKey]);
}
