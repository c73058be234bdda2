/**
 * Resolving a task's `secrets` and `repositoryCredentials` when it starts, as the ECS agent does:
 * with the task execution role's credentials, through the SSM Parameter Store and Secrets Manager
 * APIs (so the role's IAM policies decide). A failure becomes the task's stop reason, worded as ECS
 * words it; secret values never appear in it.
 */

import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { CredentialsResponse } from "../agentapi/protocol.js";
import { parseArn } from "../domain/arn.js";

export const RESOURCE_INIT =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";

export class SecretsError extends Error {
  override readonly name = "SecretsError";
}

export interface ResolvedSecrets {
  /** Environment variables from `secrets`, per container name. */
  env: Map<string, Record<string, string>>;
  /** Registry credentials from `repositoryCredentials`, per container name. */
  registry: Map<string, { username: string; password: string }>;
}

export const needsSecrets = (defs: readonly ContainerDefinition[]) =>
  defs.some((c) => (c.secrets ?? []).length > 0 || c.repositoryCredentials !== undefined);

interface AsmRef {
  secretId: string;
  region: string;
  jsonKey: string;
  stage?: string;
  versionId?: string;
}

function asmRef(valueFrom: string): AsmRef | undefined {
  const arn = parseArn(valueFrom);
  if (arn?.service !== "secretsmanager") return undefined;
  const parts = arn.resource.split(":");
  if (parts[0] !== "secret" || (parts.length !== 2 && parts.length !== 5)) {
    throw new SecretsError(
      `${RESOURCE_INIT} unable to retrieve secret from asm: service call has been retried 1 time(s): an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.`,
    );
  }
  return {
    secretId: `arn:${arn.partition}:secretsmanager:${arn.region}:${arn.accountId}:secret:${parts[1]}`,
    region: arn.region,
    jsonKey: parts[2] ?? "",
    ...(parts[3] ? { stage: parts[3] } : {}),
    ...(parts[4] ? { versionId: parts[4] } : {}),
  };
}

/** How the ECS agent (Go's %v) prints a value picked out by json-key. */
function formatJsonValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null) return "<nil>";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** One client per region, made on first use. */
function perRegion<C>(make: (region: string) => C): (region: string) => C {
  const clients = new Map<string, C>();
  return (region) => {
    const hit = clients.get(region);
    if (hit) return hit;
    const c = make(region);
    clients.set(region, c);
    return c;
  };
}

const errorText = (err: unknown) => {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
};

export async function resolveSecrets(opts: {
  endpoint: string;
  region: string;
  credentials: CredentialsResponse;
  containers: readonly ContainerDefinition[];
}): Promise<ResolvedSecrets> {
  const credentials = {
    accessKeyId: opts.credentials.accessKeyId,
    secretAccessKey: opts.credentials.secretAccessKey,
    sessionToken: opts.credentials.sessionToken,
  };
  const client = { endpoint: opts.endpoint, credentials, maxAttempts: 2 };
  const ssmClient = perRegion((region) => new SSMClient({ ...client, region }));
  const asmClient = perRegion((region) => new SecretsManagerClient({ ...client, region }));

  async function secretString(ref: AsmRef): Promise<string> {
    let value: string | undefined;
    try {
      const r = await asmClient(ref.region).send(
        new GetSecretValueCommand({
          SecretId: ref.secretId,
          ...(ref.stage ? { VersionStage: ref.stage } : {}),
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
        }),
      );
      value = r.SecretString ?? "";
    } catch (err) {
      throw new SecretsError(
        `${RESOURCE_INIT} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${ref.secretId} from secrets manager: ${errorText(err)}`,
      );
    }
    if (!ref.jsonKey) return value;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SecretsError(
        `${RESOURCE_INIT} unable to retrieve secret from asm: service call has been retried 1 time(s): the secret ${ref.secretId} is not valid JSON, so json key ${ref.jsonKey} cannot be read from it`,
      );
    }
    if (
      typeof parsed !== "object" ||
      parsed === null ||
      Array.isArray(parsed) ||
      !Object.hasOwn(parsed, ref.jsonKey)
    ) {
      throw new SecretsError(
        `${RESOURCE_INIT} unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key ${ref.jsonKey}`,
      );
    }
    return formatJsonValue((parsed as Record<string, unknown>)[ref.jsonKey]);
  }

  // SSM parameters in batches of 10 per region, as GetParameters takes them.
  const ssmWanted = new Map<string, Set<string>>();
  for (const c of opts.containers) {
    for (const s of c.secrets ?? []) {
      if (asmRef(s.valueFrom!)) continue;
      const arn = parseArn(s.valueFrom!);
      const region = arn?.service === "ssm" ? arn.region : opts.region;
      const set = ssmWanted.get(region) ?? new Set();
      set.add(s.valueFrom!);
      ssmWanted.set(region, set);
    }
  }
  const ssmValues = new Map<string, string>();
  for (const [region, names] of ssmWanted) {
    const list = [...names];
    for (let i = 0; i < list.length; i += 10) {
      const batch = list.slice(i, i + 10);
      let r: { Parameters?: { Name?: string; ARN?: string; Value?: string }[]; InvalidParameters?: string[] };
      try {
        r = await ssmClient(region).send(new GetParametersCommand({ Names: batch, WithDecryption: true }));
      } catch (err) {
        throw new SecretsError(
          `${RESOURCE_INIT} unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${errorText(err)}`,
        );
      }
      if ((r.InvalidParameters ?? []).length > 0) {
        throw new SecretsError(
          `${RESOURCE_INIT} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: ${r.InvalidParameters!.join(" ")}`,
        );
      }
      for (const wanted of batch) {
        const p = (r.Parameters ?? []).find(
          (x) =>
            x.Name === wanted ||
            x.ARN === wanted ||
            wanted.startsWith(`${x.Name}:`) ||
            (x.ARN && wanted.startsWith(`${x.ARN}:`)),
        );
        if (p) ssmValues.set(wanted, p.Value ?? "");
      }
    }
  }
  const env = new Map<string, Record<string, string>>();
  const registry = new Map<string, { username: string; password: string }>();
  for (const c of opts.containers) {
    const vars: Record<string, string> = {};
    for (const s of c.secrets ?? []) {
      const ref = asmRef(s.valueFrom!);
      vars[s.name!] = ref ? await secretString(ref) : (ssmValues.get(s.valueFrom!) ?? "");
    }
    if (Object.keys(vars).length > 0) env.set(c.name!, vars);
    const rc = c.repositoryCredentials?.credentialsParameter;
    if (rc) {
      const ref = asmRef(rc);
      if (!ref) {
        throw new SecretsError(
          `${RESOURCE_INIT} unable to retrieve secret from asm: repositoryCredentials.credentialsParameter must be a Secrets Manager ARN`,
        );
      }
      const doc = await secretString({ ...ref, jsonKey: "" });
      let parsed: { username?: unknown; password?: unknown } | undefined;
      try {
        parsed = JSON.parse(doc) as { username?: unknown; password?: unknown };
      } catch {
        parsed = undefined;
      }
      if (typeof parsed?.username !== "string" || typeof parsed.password !== "string") {
        throw new SecretsError(
          `${RESOURCE_INIT} the private registry credentials secret ${ref.secretId} must be JSON with username and password`,
        );
      }
      registry.set(c.name!, { username: parsed.username, password: parsed.password });
    }
  }
  return { env, registry };
}
