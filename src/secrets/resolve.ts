/**
 * Resolves a task's `secrets[].valueFrom` (and log configuration `secretOptions`) to plaintext, the
 * way the ECS agent does on Fargate:
 *
 * - A Secrets Manager ARN, whole (`arn:aws:secretsmanager:r:a:secret:name-AbCdEf`, or the partial ARN
 *   without the suffix) or with the `:json-key:version-stage:version-id` suffix (empty parts take the
 *   default: whole value, AWSCURRENT). The secret is read in the ARN's region.
 * - Anything else is an SSM parameter: a name or ARN, optionally `:version` or `:label`, read with
 *   decryption, in the ARN's region or else the task's.
 *
 * Failures carry the stop reason ECS gives (`ResourceInitializationError: unable to pull secrets or
 * registry auth: ...`), never the secret's value.
 */
import type { KeyringSource } from "../crypto/master-key.js";
import { parseArn } from "../domain/arn.js";
import { parseReference } from "../domain/ssm/names.js";
import { AwsError } from "../errors/catalog.js";
import type { Clock } from "../lib/clock.js";
import { systemClock } from "../lib/clock.js";
import { findSecret, markedForDeletion, notFound, openVersion } from "../services/secretsmanager/common.js";
import { pickVersion, touch } from "../services/secretsmanager/versions.js";
import type { RequestContext } from "../services/service.js";
import { getParameter, secureValueKey } from "../state/ssm/parameters.js";
import type { Store } from "../state/store.js";
import { openFrom } from "../state/vault.js";

export interface SecretResolver {
  /** The plaintext `valueFrom` names, or a SecretReferenceError with ECS's reason. */
  resolveSecretReference(region: string, accountId: string, valueFrom: string): Promise<string>;
}

/** A reference that cannot be resolved; `message` is the task's stoppedReason, as ECS words it. */
export class SecretReferenceError extends Error {
  override readonly name = "SecretReferenceError";
}

const PREFIX =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";

const ssmFailure = (detail: string) =>
  new SecretReferenceError(
    `${PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${detail}`,
  );

const asmFailure = (detail: string) =>
  new SecretReferenceError(
    `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): ${detail}`,
  );

/** How the ECS agent (Go's %v) prints a JSON value picked out by json-key. */
function formatJsonValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null) return "<nil>";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function secretResolver(deps: {
  store: Store;
  keyring: KeyringSource;
  clock?: Clock;
}): SecretResolver {
  const clock = deps.clock ?? systemClock;

  async function fromSecretsManager(valueFrom: string, accountId: string): Promise<string> {
    const arn = parseArn(valueFrom)!;
    const parts = arn.resource.split(":");
    let secretId = valueFrom;
    let jsonKey = "";
    let stage: string | undefined;
    let versionId: string | undefined;
    if (parts.length === 5) {
      secretId = `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.accountId}:${parts[0]}:${parts[1]}`;
      jsonKey = parts[2]!;
      stage = parts[3] || undefined;
      versionId = parts[4] || undefined;
    } else if (parts.length !== 2 || parts[0] !== "secret") {
      throw asmFailure(
        "an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.",
      );
    }
    const ctx = { region: arn.region, accountId, now: clock.now() } as RequestContext;
    const plain = await deps.store
      .write(async (tx) => {
        const found = await findSecret(tx, ctx, secretId);
        if (!found) throw notFound();
        if (found.value.deletedAt !== undefined) throw markedForDeletion();
        const v = pickVersion(found.value, versionId, stage);
        const bytes = await openVersion(tx, deps, arn.region, found.value.name, v);
        await touch(tx, ctx, found, v.id);
        // ECS reads SecretString; a binary secret gives an empty string.
        return v.binary ? "" : bytes.toString("utf8");
      })
      .catch((err: unknown) => {
        if (err instanceof AwsError) {
          throw asmFailure(
            `failed to fetch secret ${secretId} from secrets manager: ${err.def.code}: ${err.message}`,
          );
        }
        throw err;
      });
    if (jsonKey === "") return plain;
    let parsed: unknown;
    try {
      parsed = JSON.parse(plain);
    } catch {
      // JSON.parse's message quotes the input; the value must not reach the stop reason.
      throw asmFailure(
        `the secret ${secretId} is not valid JSON, so json key ${jsonKey} cannot be read from it`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      const kind = Array.isArray(parsed) ? "array" : parsed === null ? "null" : typeof parsed;
      throw asmFailure(`json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`);
    }
    if (!Object.hasOwn(parsed, jsonKey)) {
      throw asmFailure(`retrieved secret from Secrets Manager did not contain json key ${jsonKey}`);
    }
    return formatJsonValue((parsed as Record<string, unknown>)[jsonKey]);
  }

  async function fromParameterStore(region: string, accountId: string, valueFrom: string): Promise<string> {
    const arn = valueFrom.startsWith("arn:") ? parseArn(valueFrom) : undefined;
    const where = arn?.service === "ssm" ? arn.region : region;
    const ref = parseReference(valueFrom, where, accountId);
    const value = await deps.store.read(async (tx) => {
      if (!ref) return undefined;
      const rec = await getParameter(tx, where, ref.name);
      if (!rec) return undefined;
      const sel = ref.selector;
      const versions = rec.value.versions;
      const v = !sel
        ? versions[versions.length - 1]
        : "version" in sel
          ? versions.find((x) => x.version === sel.version)
          : versions.find((x) => x.labels.includes(sel.label));
      if (!v) return undefined;
      if (v.type !== "SecureString") return v.value ?? "";
      const bytes = await openFrom(tx, deps.keyring.get(), secureValueKey(where, rec.value.name, v.version));
      return bytes?.toString("utf8");
    });
    if (value === undefined) throw ssmFailure(`invalid parameters: ${valueFrom}`);
    return value;
  }

  return {
    async resolveSecretReference(region, accountId, valueFrom) {
      const arn = valueFrom.startsWith("arn:") ? parseArn(valueFrom) : undefined;
      if (arn?.service === "secretsmanager") return fromSecretsManager(valueFrom, accountId);
      return fromParameterStore(region, accountId, valueFrom);
    },
  };
}
