/**
 * Resolving a task's `secrets` and `repositoryCredentials` when it starts, as the ECS agent does:
 * with the task execution role's credentials, through the SSM Parameter Store and Secrets Manager
 * APIs (so the role's IAM policies decide). A failure becomes the task's stop reason, worded as ECS
 * words it (src/domain/ecs/secret-reference.ts); secret values never appear in it.
 */

import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  asmFailure,
  INVALID_ASM_ARN,
  pickJsonKey,
  RESOURCE_INIT,
  type SecretsManagerReference,
  secretsManagerReference,
  ssmFailure,
  ssmRegion,
} from "../domain/ecs/secret-reference.js";

export { RESOURCE_INIT };

export class SecretsError extends Error {
  override readonly name = "SecretsError";
}

export interface ResolvedSecrets {
  /** Environment variables from `secrets`, per container name. */
  env: Map<string, Record<string, string>>;
  /** Registry credentials (repositoryCredentials, logins to Berth's registry), per container name. */
  registry: Map<string, { username: string; password: string }>;
}

/** The credentials secrets are read with: the execution role's session. */
export interface ReaderCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const needsSecrets = (defs: readonly ContainerDefinition[]) =>
  defs.some((c) => (c.secrets ?? []).length > 0 || c.repositoryCredentials !== undefined);

function asmReference(valueFrom: string): SecretsManagerReference | undefined {
  const ref = secretsManagerReference(valueFrom);
  if (ref === "invalid") throw new SecretsError(asmFailure(INVALID_ASM_ARN));
  return ref;
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
  /** The task's region: where SSM parameters given by name live. */
  region: string;
  credentials: ReaderCredentials;
  containers: readonly ContainerDefinition[];
}): Promise<ResolvedSecrets> {
  const { accessKeyId, secretAccessKey, sessionToken } = opts.credentials;
  const credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  const client = { endpoint: opts.endpoint, credentials, maxAttempts: 2 };
  const ssmClient = perRegion((region) => new SSMClient({ ...client, region }));
  const asmClient = perRegion((region) => new SecretsManagerClient({ ...client, region }));

  async function secretString(ref: SecretsManagerReference): Promise<string> {
    let value: string;
    try {
      const r = await asmClient(ref.region).send(
        new GetSecretValueCommand({
          SecretId: ref.secretId,
          ...(ref.stage ? { VersionStage: ref.stage } : {}),
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
        }),
      );
      // ECS reads SecretString; a binary secret gives an empty string.
      value = r.SecretString ?? "";
    } catch (err) {
      throw new SecretsError(
        asmFailure(`failed to fetch secret ${ref.secretId} from secrets manager: ${errorText(err)}`),
      );
    }
    const picked = pickJsonKey(ref.secretId, value, ref.jsonKey);
    if (typeof picked !== "string") throw new SecretsError(asmFailure(picked.error));
    return picked;
  }

  // SSM parameters in batches of 10 per region, as GetParameters takes them.
  const ssmWanted = new Map<string, Set<string>>();
  for (const c of opts.containers) {
    for (const s of c.secrets ?? []) {
      if (asmReference(s.valueFrom!)) continue;
      const region = ssmRegion(s.valueFrom!, opts.region);
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
      let r: {
        Parameters?: { Name?: string; ARN?: string; Selector?: string; Value?: string }[];
        InvalidParameters?: string[];
      };
      try {
        r = await ssmClient(region).send(new GetParametersCommand({ Names: batch, WithDecryption: true }));
      } catch (err) {
        throw new SecretsError(ssmFailure(errorText(err)));
      }
      if ((r.InvalidParameters ?? []).length > 0) {
        throw new SecretsError(ssmFailure(`invalid ssm parameters: ${r.InvalidParameters!.join(" ")}`));
      }
      for (const wanted of batch) {
        const p = (r.Parameters ?? []).find((x) =>
          [x.Name, x.ARN].some((id) => id && (wanted === id || wanted === `${id}${x.Selector ?? ""}`)),
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
      const ref = asmReference(s.valueFrom!);
      vars[s.name!] = ref ? await secretString(ref) : (ssmValues.get(s.valueFrom!) ?? "");
    }
    if (Object.keys(vars).length > 0) env.set(c.name!, vars);
    const rc = c.repositoryCredentials?.credentialsParameter;
    if (rc) {
      const ref = asmReference(rc);
      if (!ref) {
        throw new SecretsError(
          asmFailure("repositoryCredentials.credentialsParameter must be a Secrets Manager secret ARN"),
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
          asmFailure(
            `the private registry credentials secret ${ref.secretId} must be JSON with username and password`,
          ),
        );
      }
      registry.set(c.name!, { username: parsed.username, password: parsed.password });
    }
  }
  return { env, registry };
}
