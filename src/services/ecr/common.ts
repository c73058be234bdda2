/**
 * What every ECR handler shares: dependencies, repository lookup and rendering. Authorization
 * happens before a handler runs (the gateway evaluates the checks of ./authz.ts).
 */
import type { Repository, Tag } from "@aws-sdk/client-ecr";
import { isRepositoryName, REPOSITORY_NAME_PATTERN, repositoryUri } from "../../domain/ecr/names.js";
import type { CompiledPolicy } from "../../domain/iam/compile.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { BlobStore } from "../../registry/blob-store.js";
import type { RegistryTokens } from "../../registry/tokens.js";
import type { Uploads } from "../../registry/uploads.js";
import { K, repoKey } from "../../state/ecr/kinds.js";
import type { RepositoryRecord } from "../../state/ecr/records.js";
import type { ReadTx, Store, StoredRecord } from "../../state/store.js";
import type { RequestContext } from "../service.js";

export interface EcrDeps {
  store: Store;
  blobs: BlobStore;
  uploads: Uploads;
  tokens: RegistryTokens;
  /** Compile a repository policy (a resource-based policy), cached by text. */
  compilePolicy(text: string): CompiledPolicy;
  accountId: string;
  /** `host:port` of the registry as docker reaches it (known once Berth listens). */
  registryHost(): string;
}

export function checkRepositoryName(name: string, member = "repositoryName"): void {
  if (!isRepositoryName(name)) {
    throw new AwsError(
      Errors.InvalidParameter,
      `Invalid parameter at '${member}' failed to satisfy constraint: 'must satisfy regular expression '${REPOSITORY_NAME_PATTERN}' and be 2-256 characters long'`,
    );
  }
}

export function checkRegistryId(registryId: string | undefined, ctx: RequestContext): void {
  if (registryId === undefined) return;
  if (!/^[0-9]{12}$/.test(registryId)) {
    throw new AwsError(
      Errors.InvalidParameter,
      "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''",
    );
  }
  if (registryId !== ctx.accountId) {
    throw new AwsError(
      Errors.AccessDenied,
      `User: ${ctx.principal.arn} is not authorized to access the registry with id '${registryId}'`,
    );
  }
}

export const repositoryNotFound = (name: string, accountId: string) =>
  new AwsError(
    Errors.RepositoryNotFound,
    `The repository with name '${name}' does not exist in the registry with id '${accountId}'`,
  );

export async function findRepository(
  tx: ReadTx,
  registry: string,
  name: string,
  accountId: string,
): Promise<StoredRecord<RepositoryRecord>> {
  checkRepositoryName(name);
  const rec = await tx.get<RepositoryRecord>(K.repository, repoKey(registry, name));
  if (!rec) throw repositoryNotFound(name, accountId);
  return rec;
}

export function renderRepository(repo: RepositoryRecord, host: string): Repository {
  const out: Repository = {
    repositoryArn: repo.arn,
    registryId: repo.registryId,
    repositoryName: repo.name,
    repositoryUri: repositoryUri(host, repo.registry, repo.name),
    createdAt: new Date(repo.createdAt),
    imageTagMutability: repo.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: repo.scanOnPush },
    encryptionConfiguration: { ...repo.encryption },
  };
  if (repo.imageTagMutabilityExclusionFilters) {
    out.imageTagMutabilityExclusionFilters = repo.imageTagMutabilityExclusionFilters.map((f) => ({ ...f }));
  }
  return out;
}

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** ECR resource tag rules: at most 50; keys 1-128, values 0-256; `aws:` reserved. */
export function validateResourceTags(tags: readonly Tag[]): Tag[] {
  const out = new Map<string, string>();
  for (const t of tags) {
    const key = t.Key ?? "";
    const value = t.Value ?? "";
    if (key.length < 1 || key.length > 128 || !TAG_CHARS.test(key) || key.toLowerCase().startsWith("aws:")) {
      throw new AwsError(
        Errors.InvalidTagParameter,
        `Invalid tag key '${key}': keys are 1-128 characters and may not start with 'aws:'.`,
      );
    }
    if (value.length > 256 || !TAG_CHARS.test(value)) {
      throw new AwsError(
        Errors.InvalidTagParameter,
        `Invalid value for tag '${key}': values are at most 256 characters.`,
      );
    }
    out.set(key, value);
  }
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}

export function mergeResourceTags(existing: readonly Tag[], add: readonly Tag[]): Tag[] {
  const m = new Map(existing.map((t) => [t.Key!, t.Value ?? ""]));
  for (const t of validateResourceTags(add)) m.set(t.Key!, t.Value ?? "");
  if (m.size > 50) throw new AwsError(Errors.TooManyTags, "A repository can have at most 50 tags.");
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

export function pageLimit(maxResults: number | undefined, max = 1000, fallback = 100): number {
  const n = maxResults ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new AwsError(
      Errors.InvalidParameter,
      `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and ${max}'`,
    );
  }
  return n;
}
