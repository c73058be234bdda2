/**
 * What Parameter Store's operations act on, for IAM authorization (Service Authorization Reference,
 * AWS Systems Manager; "How Parameter Store authorizes parameter retrieval"):
 *
 * - A parameter is `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`;
 *   GetParameter(s) references lose their `:version`/`:label` selector first. GetParameters and
 *   DeleteParameters check every name (one refusal refuses the call, naming that parameter).
 * - GetParametersByPath is authorized against the path it names (`/a/b` → `parameter/a/b`), never
 *   against the parameters it returns, with `ssm:Recursive`.
 * - PutParameter carries `ssm:Overwrite`, `ssm:Policies` and the request's tags.
 * - The tagging operations act on the parameter (ResourceType Parameter; Berth has no other
 *   taggable SSM resource, so the others act on `*` and the handler refuses them).
 * - DescribeParameters acts on `*`.
 *
 * A parameter's tags serve `aws:ResourceTag/<key>` and `ssm:resourceTag/<key>`, read from a cache
 * the store's change feed keeps current. Resolvers never throw on malformed names: they name what
 * the request names, and the handler reports the error after authorization.
 */
import type { Tag } from "@aws-sdk/client-ssm";
import { parameterArn, parseReference } from "../../domain/ssm/names.js";
import { recordCache } from "../../state/record-cache.js";
import { getParameter, parameterKey, SSM } from "../../state/ssm/parameters.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

function requestTags(tags: unknown): Context {
  const list = Array.isArray(tags) ? (tags as Tag[]) : [];
  const out: Context = { "aws:TagKeys": list.map((t) => t.Key ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.Key}`] = t.Value ?? "";
  return out;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

export function ssmAuthorization(store: Store): ServiceAuthorization {
  // Parameters' tags, for aws:ResourceTag conditions, cached until the parameter record changes.
  const tagCache = recordCache<Record<string, string> | undefined>(store, SSM.parameter);
  const tagsOf = (region: string, name: string) => () =>
    tagCache.get(parameterKey(region, name), async () => {
      const rec = await store.read((tx) => getParameter(tx, region, name));
      return rec ? Object.fromEntries(rec.value.tags.map((t) => [t.Key, t.Value])) : undefined;
    });

  /** The parameter a name, ARN or `name:selector` reference names. */
  function parameter(
    info: AuthzInfo,
    ref: unknown,
    extra?: Omit<AuthzCheck, "resource" | "tags">,
  ): AuthzCheck {
    const asked = text(ref);
    const parsed = parseReference(asked, info.region, info.accountId);
    if (!parsed) return { resource: asked.trim() || "*", ...extra };
    return {
      resource: parameterArn(info.region, info.accountId, parsed.name),
      tags: tagsOf(info.region, parsed.name),
      ...extra,
    };
  }

  const one =
    (member: string): AuthzResolver<Input> =>
    (input, info) => [parameter(info, input[member])];
  const each =
    (member: string): AuthzResolver<Input> =>
    (input, info) => {
      const names = Array.isArray(input[member]) ? (input[member] as unknown[]) : [];
      return [...new Set(names)].map((n) => parameter(info, n));
    };
  /** The tagging operations: a parameter by name, or `*` for resource types Berth does not have. */
  const taggable =
    (context: (input: Input) => Context | undefined): AuthzResolver<Input> =>
    (input, info) => {
      const extra = context(input);
      if (input.ResourceType !== "Parameter")
        return [{ resource: "*", ...(extra ? { context: extra } : {}) }];
      return [parameter(info, input.ResourceId, extra ? { context: extra } : undefined)];
    };

  const operations: Record<string, AuthzResolver<Input>> = {
    PutParameter: (input, info) => [
      parameter(info, input.Name, {
        context: {
          ...requestTags(input.Tags),
          "ssm:Overwrite": String(input.Overwrite === true),
          "ssm:Policies": String(text(input.Policies) !== ""),
        },
      }),
    ],
    GetParameter: one("Name"),
    GetParameters: each("Names"),
    DeleteParameter: one("Name"),
    DeleteParameters: each("Names"),
    GetParameterHistory: one("Name"),
    LabelParameterVersion: one("Name"),
    UnlabelParameterVersion: one("Name"),
    GetParametersByPath: (input, info) => {
      // The path itself, as a parameter ARN: `/` is `parameter/`, `/a/b/` is `parameter/a/b`.
      const path = text(input.Path).trim();
      const bare = path.replace(/^\/+/, "").replace(/\/+$/, "");
      return [
        {
          resource: `arn:aws:ssm:${info.region}:${info.accountId}:parameter/${bare}`,
          context: { "ssm:Recursive": String(input.Recursive === true) },
        },
      ];
    },
    AddTagsToResource: taggable((input) => requestTags(input.Tags)),
    RemoveTagsFromResource: taggable((input) => ({
      "aws:TagKeys": Array.isArray(input.TagKeys) ? (input.TagKeys as string[]) : [],
    })),
    ListTagsForResource: taggable(() => undefined),
  };
  return {
    operations: operations as ServiceAuthorization["operations"],
    resourceTagKeys: ["ssm:resourceTag/"],
  };
}
