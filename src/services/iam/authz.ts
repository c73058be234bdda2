/**
 * What IAM's operations act on, for authorization: the user, role or policy ARN (with its path,
 * read from the store when the entity exists), iam:PolicyARN for attachments, and tag keys for the
 * tagging operations. List operations act on the path being listed.
 */
import type { Tag } from "@aws-sdk/client-iam";
import { policyArn, roleArn, userArn } from "../../domain/iam/names.js";
import type { IamTag } from "../../state/iam/records.js";
import { getRole, getUser } from "../../state/iam/users.js";
import type { IamGeneration } from "../../state/iam/watch.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";
import { tagMap } from "./common.js";

type Input = Record<string, unknown>;
type Extra = (input: Input) => AuthzCheck["context"];

function requestTags(tags: unknown): Record<string, string | string[]> {
  const list = (tags as Tag[] | undefined) ?? [];
  const out: Record<string, string | string[]> = { "aws:TagKeys": list.map((t) => t.Key ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.Key}`] = t.Value ?? "";
  return out;
}

const withTags: Extra = (input) => requestTags(input.Tags);
const withTagKeys: Extra = (input) => ({ "aws:TagKeys": (input.TagKeys as string[] | undefined) ?? [] });
const withPolicyArn: Extra = (input) => ({ "iam:PolicyARN": String(input.PolicyArn ?? "") });

export function iamAuthorization(store: Store, generation: IamGeneration): ServiceAuthorization {
  // Users' and roles' ARNs (with their paths) and tags, cached until IAM state changes.
  type Entity = { arn: string; tags: IamTag[] } | undefined;
  const cache = new Map<string, { generation: number; entity: Entity }>();
  async function lookup(kind: "user" | "role", name: string): Promise<Entity> {
    const key = `${kind}/${name.toLowerCase()}`;
    const g = generation.current();
    const hit = cache.get(key);
    if (hit && hit.generation === g) return hit.entity;
    const rec = await store.read((tx) => (kind === "user" ? getUser(tx, name) : getRole(tx, name)));
    const entity = rec ? { arn: rec.value.arn, tags: rec.value.tags } : undefined;
    if (cache.size >= 10_000) cache.clear();
    cache.set(key, { generation: g, entity });
    return entity;
  }

  const user =
    (extra?: Extra): AuthzResolver<Input> =>
    async (input, info: AuthzInfo) => {
      const name =
        (input.UserName as string | undefined) ??
        (info.principal.kind === "user" ? info.principal.userName : undefined) ??
        "";
      const rec = name ? await lookup("user", name) : undefined;
      return [
        {
          resource: rec?.arn ?? userArn(info.accountId, (input.Path as string | undefined) ?? "/", name),
          ...(extra ? { context: extra(input) } : {}),
          ...(rec ? { tags: async () => tagMap(rec.tags) } : {}),
        },
      ];
    };

  const role =
    (extra?: Extra): AuthzResolver<Input> =>
    async (input, info: AuthzInfo) => {
      const name = String(input.RoleName ?? "");
      const rec = await lookup("role", name);
      return [
        {
          resource: rec?.arn ?? roleArn(info.accountId, (input.Path as string | undefined) ?? "/", name),
          ...(extra ? { context: extra(input) } : {}),
          ...(rec ? { tags: async () => tagMap(rec.tags) } : {}),
        },
      ];
    };

  const policy =
    (extra?: Extra): AuthzResolver<Input> =>
    (input, info) => [
      {
        resource:
          (input.PolicyArn as string | undefined) ??
          policyArn(
            info.accountId,
            (input.Path as string | undefined) ?? "/",
            String(input.PolicyName ?? ""),
          ),
        ...(extra ? { context: extra(input) } : {}),
      },
    ];

  const listing =
    (type: "user" | "role"): AuthzResolver<Input> =>
    (input, info) => [
      {
        resource: `arn:aws:iam::${info.accountId}:${type}${(input.PathPrefix as string | undefined) ?? "/"}`,
      },
    ];

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateUser: user(withTags),
    GetUser: user(),
    DeleteUser: user(),
    TagUser: user(withTags),
    UntagUser: user(withTagKeys),
    ListUserTags: user(),
    ListUsers: listing("user"),
    CreateAccessKey: user(),
    ListAccessKeys: user(),
    UpdateAccessKey: user(),
    DeleteAccessKey: user(),
    AttachUserPolicy: user(withPolicyArn),
    DetachUserPolicy: user(withPolicyArn),
    ListAttachedUserPolicies: user(),
    PutUserPolicy: user(),
    GetUserPolicy: user(),
    DeleteUserPolicy: user(),
    ListUserPolicies: user(),
    CreateRole: role(withTags),
    GetRole: role(),
    DeleteRole: role(),
    UpdateRole: role(),
    UpdateRoleDescription: role(),
    UpdateAssumeRolePolicy: role(),
    TagRole: role(withTags),
    UntagRole: role(withTagKeys),
    ListRoleTags: role(),
    ListRoles: listing("role"),
    AttachRolePolicy: role(withPolicyArn),
    DetachRolePolicy: role(withPolicyArn),
    ListAttachedRolePolicies: role(),
    PutRolePolicy: role(),
    GetRolePolicy: role(),
    DeleteRolePolicy: role(),
    ListRolePolicies: role(),
    CreatePolicy: policy(withTags),
    GetPolicy: policy(),
    DeletePolicy: policy(),
    CreatePolicyVersion: policy(),
    GetPolicyVersion: policy(),
    ListPolicyVersions: policy(),
    DeletePolicyVersion: policy(),
    SetDefaultPolicyVersion: policy(),
    ListEntitiesForPolicy: policy(),
    TagPolicy: policy(withTags),
    UntagPolicy: policy(withTagKeys),
    ListPolicyTags: policy(),
  };
  return { operations: operations as ServiceAuthorization["operations"] };
}
