/**
 * What CloudWatch Logs' operations act on, for IAM authorization. The Service Authorization
 * Reference names two resource types, `log-group` (`arn:aws:logs:<region>:<account>:log-group:<name>`)
 * and `log-stream` (`…:log-group:<name>:log-stream:<stream>`); what CloudWatch Logs actually
 * evaluates, as its AccessDenied messages show, is:
 *
 * - a log stream's ARN for the stream operations (CreateLogStream, DeleteLogStream, PutLogEvents,
 *   GetLogEvents);
 * - `…:log-group:<name>:log-stream:` (a stream ARN with an empty stream name) for the operations on
 *   a group (CreateLogGroup, DeleteLogGroup, the retention policy, DescribeLogStreams,
 *   FilterLogEvents, TagLogGroup/UntagLogGroup/ListTagsLogGroup); this is why AWS's policies name
 *   groups as `log-group:<name>:*`, which covers both;
 * - `…:log-group::log-stream:` for DescribeLogGroups;
 * - the `resourceArn` as given (`…:log-group:<name>`) for TagResource, UntagResource and
 *   ListTagsForResource.
 *
 * CreateLogGroup with tags also needs logs:TagResource. Request tags give `aws:RequestTag/<key>` and
 * `aws:TagKeys`; a group's tags give `aws:ResourceTag/<key>` (cached until the group changes).
 * Resolvers never throw on malformed input: the handler reports it after authorization.
 */
import { parseArn } from "../../domain/arn.js";
import { logGroupArn, logStreamArn } from "../../domain/logs/arns.js";
import { getGroup, groupKey } from "../../state/logs/groups.js";
import { K } from "../../state/logs/kinds.js";
import { recordCache } from "../../state/record-cache.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

const text = (v: unknown): string => (typeof v === "string" ? v : "");

function requestTags(tags: unknown): Context {
  const map = tags && typeof tags === "object" ? (tags as Record<string, unknown>) : {};
  const out: Context = { "aws:TagKeys": Object.keys(map) };
  for (const [k, v] of Object.entries(map)) out[`aws:RequestTag/${k}`] = text(v);
  return out;
}

const tagKeys = (keys: unknown): Context => ({
  "aws:TagKeys": Array.isArray(keys) ? keys.map(text) : [],
});

/** The group name of a log-group ARN of this account and region (with or without `:*`). */
function groupOfArn(info: AuthzInfo, id: string): string | undefined {
  const arn = parseArn(id);
  if (arn?.service !== "logs" || arn.region !== info.region || arn.accountId !== info.accountId)
    return undefined;
  if (!arn.resource.startsWith("log-group:")) return undefined;
  const rest = arn.resource.slice("log-group:".length);
  return rest.endsWith(":*") ? rest.slice(0, -2) : rest;
}

/** The group an operation names by `logGroupName` or `logGroupIdentifier` (a name or an ARN). */
function groupOf(info: AuthzInfo, input: Input): string {
  if (input.logGroupName !== undefined) return text(input.logGroupName);
  const id = text(input.logGroupIdentifier);
  return id.startsWith("arn:") ? (groupOfArn(info, id) ?? id) : id;
}

export function logsAuthorization(store: Store): ServiceAuthorization {
  // Groups' tags, for aws:ResourceTag conditions, cached until the group record changes.
  const tagCache = recordCache<Record<string, string> | undefined>(store, K.group);
  const groupTags = (info: AuthzInfo, name: string) => () =>
    tagCache.get(groupKey(info.region, name), async () => {
      const rec = await store.read((tx) => getGroup(tx, info.region, name));
      return rec ? { ...rec.value.tags } : undefined;
    });

  /** A check on a group (as `…:log-group:<name>:log-stream:`) or on one of its streams. */
  const on = (info: AuthzInfo, group: string, stream: string, context?: Context): AuthzCheck => ({
    resource: logStreamArn(info, group, stream),
    tags: groupTags(info, group),
    ...(context ? { context } : {}),
  });

  const group =
    (context?: (input: Input) => Context): AuthzResolver<Input> =>
    (input, info) => [on(info, groupOf(info, input), "", context?.(input))];
  const stream: AuthzResolver<Input> = (input, info) => [
    on(info, groupOf(info, input), text(input.logStreamName)),
  ];
  const byArn =
    (context?: (input: Input) => Context): AuthzResolver<Input> =>
    (input, info) => {
      const arn = text(input.resourceArn) || "*";
      const name = groupOfArn(info, arn);
      return [
        {
          resource: arn,
          ...(name !== undefined ? { tags: groupTags(info, name) } : {}),
          ...(context ? { context: context(input) } : {}),
        },
      ];
    };

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateLogGroup: (input, info) => {
      const name = text(input.logGroupName);
      const tags = requestTags(input.tags);
      const checks: AuthzCheck[] = [on(info, name, "", tags)];
      // Creating a group with tags also takes logs:TagResource.
      if (input.tags && typeof input.tags === "object" && Object.keys(input.tags).length > 0) {
        checks.push({ action: "logs:TagResource", resource: logGroupArn(info, name), context: tags });
      }
      return checks;
    },
    DeleteLogGroup: group(),
    DescribeLogGroups: (_input, info) => [
      { resource: `arn:aws:logs:${info.region}:${info.accountId}:log-group::log-stream:` },
    ],
    PutRetentionPolicy: group(),
    DeleteRetentionPolicy: group(),
    DescribeLogStreams: group(),
    FilterLogEvents: group(),
    TagLogGroup: group((input) => requestTags(input.tags)),
    UntagLogGroup: group((input) => tagKeys(input.tags)),
    ListTagsLogGroup: group(),
    CreateLogStream: stream,
    DeleteLogStream: stream,
    PutLogEvents: stream,
    GetLogEvents: stream,
    TagResource: byArn((input) => requestTags(input.tags)),
    UntagResource: byArn((input) => tagKeys(input.tagKeys)),
    ListTagsForResource: byArn(),
  };
  return { operations: operations as ServiceAuthorization["operations"] };
}
