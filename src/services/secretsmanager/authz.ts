/**
 * What Secrets Manager's operations act on, for IAM authorization (Service Authorization
 * Reference, AWS Secrets Manager):
 *
 * - A secret is its ARN, `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random
 *   characters>`. A name or partial ARN is resolved to the stored secret's ARN. A secret that does
 *   not exist (or whose deletion date has passed) is named `secret:<name>-??????`, so the pattern
 *   AWS recommends for secrets not yet created (`secret:name-??????`) matches it; a complete ARN of
 *   a missing secret is used as given. CreateSecret acts on that pattern form too: the random
 *   characters of the new ARN are chosen after authorization (on AWS, before).
 * - Condition keys: `secretsmanager:SecretId` (the resolved ARN), `secretsmanager:Name`,
 *   `Description`, `KmsKeyId`, `VersionId`, `VersionStage`, `RecoveryWindowInDays`,
 *   `ForceDeleteWithoutRecovery` where the operation takes them; request tags; the secret's tags
 *   as `aws:ResourceTag/<key>` and `secretsmanager:ResourceTag/<key>`.
 * - CreateSecret with Tags also needs secretsmanager:TagResource. BatchGetSecretValue needs
 *   secretsmanager:BatchGetSecretValue (and ListSecrets with Filters) on `*` here, then
 *   secretsmanager:GetSecretValue on each secret, which the handler checks and reports per secret.
 *   ListSecrets and GetRandomPassword act on `*`.
 *
 * Resolvers never throw on malformed ids: the handler reports those after authorization.
 */
import type { Tag } from "@aws-sdk/client-secrets-manager";
import { formatArn, parseArn } from "../../domain/arn.js";
import { recordCache } from "../../state/record-cache.js";
import { getSecret, SM, secretKey } from "../../state/secretsmanager/secrets.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

interface Known {
  arn: string;
  tags: Record<string, string>;
  deletionDate?: number;
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function requestTags(tags: unknown): Context {
  const list = Array.isArray(tags) ? (tags as Tag[]) : [];
  const out: Context = { "aws:TagKeys": list.map((t) => t.Key ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.Key}`] = t.Value ?? "";
  return out;
}

/** Only the members the request has: a condition on a key the request lacks does not match. */
function present(pairs: Record<string, unknown>): Context {
  const out: Context = {};
  for (const [k, v] of Object.entries(pairs)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

/** `<id>-??????`: a secret that does not exist yet, whatever its random characters will be. */
const pattern = (info: Pick<AuthzInfo, "region" | "accountId">, name: string) =>
  formatArn({
    service: "secretsmanager",
    region: info.region,
    accountId: info.accountId,
    resource: `secret:${name}-??????`,
  });

const hasSuffix = (rest: string) => rest.length > 7 && rest[rest.length - 7] === "-";

/**
 * The resource a secret id names when no such secret exists: `secret:<name>-??????` for a name or
 * partial ARN, a complete ARN (one ending in `-` and six characters) or another account's or
 * service's ARN as given.
 */
export function absentSecretArn(info: Pick<AuthzInfo, "region" | "accountId">, id: string): string {
  if (!id.startsWith("arn:")) return pattern(info, id);
  const arn = parseArn(id);
  if (
    arn?.service !== "secretsmanager" ||
    !arn.resource.startsWith("secret:") ||
    arn.region !== info.region ||
    arn.accountId !== info.accountId
  ) {
    return id;
  }
  const rest = arn.resource.slice("secret:".length);
  // Secrets Manager reads a trailing `-xxxxxx` as the random characters of a complete ARN.
  return hasSuffix(rest) ? id : pattern(info, rest);
}

export function secretsManagerAuthorization(store: Store): ServiceAuthorization {
  // Secrets' ARNs and tags, cached until the secret record changes.
  const cache = recordCache<Known | undefined>(store, SM.secret);
  const lookup = (info: AuthzInfo, name: string): Promise<Known | undefined> =>
    cache
      .get(secretKey(info.region, name), async () => {
        const rec = await store.read((tx) => getSecret(tx, info.region, name));
        if (!rec) return undefined;
        const v = rec.value;
        return {
          arn: v.arn,
          tags: Object.fromEntries(v.tags.map((t) => [t.Key, t.Value])),
          ...(v.deletionDate !== undefined ? { deletionDate: v.deletionDate } : {}),
        };
      })
      .then((k) => (k && (k.deletionDate === undefined || k.deletionDate > info.now) ? k : undefined));

  /** The secret a name, complete ARN or partial ARN names, as Secrets Manager finds it. */
  async function secret(info: AuthzInfo, id: string): Promise<{ arn: string; known?: Known }> {
    let known: Known | undefined;
    if (!id.startsWith("arn:")) {
      known = await lookup(info, id);
    } else {
      const arn = parseArn(id);
      if (
        arn?.service === "secretsmanager" &&
        arn.resource.startsWith("secret:") &&
        arn.region === info.region &&
        arn.accountId === info.accountId
      ) {
        const rest = arn.resource.slice("secret:".length);
        if (hasSuffix(rest)) {
          const full = await lookup(info, rest.slice(0, -7));
          if (full?.arn === id) known = full;
        }
        known ??= await lookup(info, rest);
      }
    }
    return known ? { arn: known.arn, known } : { arn: absentSecretArn(info, id) };
  }

  const checkOf = async (info: AuthzInfo, id: unknown, context: Context = {}): Promise<AuthzCheck> => {
    const found = await secret(info, text(id) ?? "");
    const tags = found.known?.tags;
    return {
      resource: found.arn,
      context: { "secretsmanager:SecretId": found.arn, ...context },
      ...(tags ? { tags: async () => tags } : {}),
    };
  };

  const bySecretId =
    (context?: (input: Input) => Context): AuthzResolver<Input> =>
    async (input, info) => [await checkOf(info, input.SecretId, context?.(input))];

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateSecret: (input, info) => {
      const resource = pattern(info, text(input.Name) ?? "");
      const tags = requestTags(input.Tags);
      const checks: AuthzCheck[] = [
        {
          resource,
          context: {
            ...present({
              "secretsmanager:Name": input.Name,
              "secretsmanager:Description": input.Description,
              "secretsmanager:KmsKeyId": input.KmsKeyId,
              "secretsmanager:Type": input.Type,
            }),
            ...tags,
          },
        },
      ];
      // "If you include tags in the secret, you also need secretsmanager:TagResource."
      if (Array.isArray(input.Tags) && input.Tags.length > 0) {
        checks.push({ action: "secretsmanager:TagResource", resource, context: tags });
      }
      return checks;
    },
    UpdateSecret: bySecretId((input) =>
      present({
        "secretsmanager:Description": input.Description,
        "secretsmanager:KmsKeyId": input.KmsKeyId,
        "secretsmanager:Type": input.Type,
      }),
    ),
    DescribeSecret: bySecretId(),
    DeleteSecret: bySecretId((input) =>
      present({
        "secretsmanager:RecoveryWindowInDays": input.RecoveryWindowInDays,
        "secretsmanager:ForceDeleteWithoutRecovery": input.ForceDeleteWithoutRecovery,
      }),
    ),
    RestoreSecret: bySecretId(),
    TagResource: bySecretId((input) => requestTags(input.Tags)),
    UntagResource: bySecretId((input) => ({
      "aws:TagKeys": Array.isArray(input.TagKeys) ? (input.TagKeys as string[]) : [],
    })),
    GetSecretValue: bySecretId((input) =>
      present({
        "secretsmanager:VersionId": input.VersionId,
        "secretsmanager:VersionStage": input.VersionStage,
      }),
    ),
    PutSecretValue: bySecretId(),
    UpdateSecretVersionStage: bySecretId((input) =>
      present({ "secretsmanager:VersionStage": input.VersionStage }),
    ),
    ListSecretVersionIds: bySecretId(),
    BatchGetSecretValue: (input) =>
      input.Filters !== undefined
        ? [{ resource: "*" }, { action: "secretsmanager:ListSecrets", resource: "*" }]
        : [{ resource: "*" }],
  };
  return {
    operations: operations as ServiceAuthorization["operations"],
    resourceTagKeys: ["secretsmanager:ResourceTag/"],
  };
}

/**
 * The check of secretsmanager:GetSecretValue on one secret of a BatchGetSecretValue, which the
 * handler makes for each secret it found.
 */
export function getSecretValueCheck(rec: { arn: string; tags: readonly Tag[] }): AuthzCheck {
  const tags = Object.fromEntries(rec.tags.map((t) => [t.Key ?? "", t.Value ?? ""]));
  return {
    action: "secretsmanager:GetSecretValue",
    resource: rec.arn,
    context: { "secretsmanager:SecretId": rec.arn },
    tags: async () => tags,
  };
}
