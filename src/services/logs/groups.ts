import type {
  CreateLogGroupRequest,
  DeleteLogGroupRequest,
  DeleteRetentionPolicyRequest,
  DescribeLogGroupsRequest,
  DescribeLogGroupsResponse,
  LogGroup,
  PutRetentionPolicyRequest,
} from "@aws-sdk/client-cloudwatch-logs";
import { groupNameOfArnOrName, logGroupArn, logGroupArnStar, type Scope } from "../../domain/logs/arns.js";
import { RETENTION_DAYS, validateTagMap, violations } from "../../domain/logs/constraints.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  deleteGroupRecord,
  getGroup,
  type LogGroupRecord,
  listGroups,
  putGroup,
} from "../../state/logs/groups.js";
import { allStreams, deleteStream } from "../../state/logs/streams.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { requireGroup, resumeAfter, tokenFor, type With } from "./common.js";

export function renderGroup(s: Scope, g: LogGroupRecord): LogGroup {
  return {
    logGroupName: g.name,
    creationTime: g.createdAt,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    metricFilterCount: 0,
    arn: logGroupArnStar(s, g.name),
    storedBytes: g.storedBytes,
    logGroupClass: g.logGroupClass,
    logGroupArn: logGroupArn(s, g.name),
  };
}

const LOG_GROUP_CLASSES = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

export function groupHandlers(store: Store) {
  const createLogGroup: Handler<With<CreateLogGroupRequest, "logGroupName">, object> = async (input, ctx) => {
    const name = input.logGroupName;
    const v = violations().groupName("logGroupName", name).length("kmsKeyId", input.kmsKeyId, 0, 256);
    v.oneOf("logGroupClass", input.logGroupClass, LOG_GROUP_CLASSES);
    validateTagMap(v, "tags", input.tags);
    v.throwIfAny();
    if (name.startsWith("aws/"))
      throw new AwsError(Errors.InvalidParameter, "Log group names can't start with the string aws/");
    if (input.kmsKeyId !== undefined) {
      // Berth has no KMS keys, so no key can be associated; AWS answers a missing key this way.
      throw new AwsError(
        Errors.InvalidParameter,
        `The specified KMS key ${input.kmsKeyId} does not exist; Berth does not support KMS-encrypted log groups.`,
      );
    }
    if (input.logGroupClass === "DELIVERY")
      throw new AwsError(Errors.InvalidParameter, "Berth does not support the DELIVERY log group class.");
    if (input.deletionProtectionEnabled)
      throw new AwsError(
        Errors.InvalidParameter,
        "Berth does not support deletion protection for log groups.",
      );
    await store.write(async (tx) => {
      if (await getGroup(tx, ctx.region, name))
        throw new AwsError(Errors.ResourceAlreadyExists, "The specified log group already exists");
      await putGroup(
        tx,
        ctx.region,
        {
          name,
          createdAt: ctx.now,
          logGroupClass: input.logGroupClass === "INFREQUENT_ACCESS" ? "INFREQUENT_ACCESS" : "STANDARD",
          tags: { ...input.tags },
          storedBytes: 0,
        },
        0,
      );
    });
    return {};
  };

  const deleteLogGroup: Handler<With<DeleteLogGroupRequest, "logGroupName">, object> = async (input, ctx) => {
    violations().groupName("logGroupName", input.logGroupName).throwIfAny();
    await store.write(async (tx) => {
      await requireGroup(tx, ctx.region, input.logGroupName);
      // Streams go now; their events are deleted by the retention loop's purge, so that deleting a
      // large group does not hold the store for long.
      for (const s of await allStreams(tx, ctx.region, input.logGroupName))
        await deleteStream(tx, ctx.region, input.logGroupName, s);
      await deleteGroupRecord(tx, ctx.region, input.logGroupName);
    });
    return {};
  };

  const describeLogGroups: Handler<DescribeLogGroupsRequest, DescribeLogGroupsResponse> = async (
    input,
    ctx,
  ) => {
    const v = violations()
      .groupName("logGroupNamePrefix", input.logGroupNamePrefix)
      .length("logGroupNamePattern", input.logGroupNamePattern, 0, 512)
      .pattern(
        "logGroupNamePattern",
        input.logGroupNamePattern,
        /^[.\-_/#A-Za-z0-9]*$/,
        "[\\.\\-_/#A-Za-z0-9]*",
      )
      .range("limit", input.limit, 1, 50)
      .nextToken("nextToken", input.nextToken)
      .oneOf("logGroupClass", input.logGroupClass, LOG_GROUP_CLASSES)
      .length("logGroupIdentifiers", input.logGroupIdentifiers, 1, 50)
      .length("accountIdentifiers", input.accountIdentifiers, 0, 20);
    input.logGroupIdentifiers?.forEach((id, i) => {
      v.identifier(`logGroupIdentifiers.${i + 1}.member`, id);
    });
    v.throwIfAny();
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
      throw new AwsError(
        Errors.InvalidParameter,
        "logGroupNamePrefix and logGroupNamePattern are mutually exclusive. Only one of these parameters can be passed.",
      );
    }
    const ids = input.logGroupIdentifiers;
    if (
      ids !== undefined &&
      (input.logGroupNamePrefix !== undefined ||
        input.logGroupNamePattern !== undefined ||
        input.logGroupClass !== undefined)
    ) {
      throw new AwsError(
        Errors.InvalidParameter,
        "When logGroupIdentifiers is specified, the only other filter allowed is includeLinkedAccounts.",
      );
    }
    const limit = input.limit ?? 50;
    const list = `DescribeLogGroups:${input.logGroupNamePrefix ?? ""}:${input.logGroupNamePattern ?? ""}:${input.logGroupClass ?? ""}`;
    const afterName = resumeAfter(list, input.nextToken);
    const names = ids ? new Set(ids.map((id) => groupNameOfIdentifierOrSkip(ctx, id))) : undefined;
    const pattern = input.logGroupNamePattern;
    return store.read(async (tx) => {
      const recs = await listGroups(tx, ctx.region, {
        ...(input.logGroupNamePrefix !== undefined ? { prefix: input.logGroupNamePrefix } : {}),
        ...(afterName !== undefined ? { afterName } : {}),
        limit: limit + 1,
        match: (g) =>
          (names === undefined || names.has(g.name)) &&
          (pattern === undefined || g.name.includes(pattern)) &&
          (input.logGroupClass === undefined || g.logGroupClass === input.logGroupClass),
      });
      const page = recs.slice(0, limit);
      const logGroups = page.map((r) => {
        const g = renderGroup(ctx, r.value);
        // With a name pattern, AWS returns only these three members.
        return pattern !== undefined
          ? { arn: g.arn!, creationTime: g.creationTime!, logGroupName: g.logGroupName! }
          : g;
      });
      return {
        logGroups,
        ...(recs.length > limit ? { nextToken: tokenFor(list, page.at(-1)!.value.name) } : {}),
      };
    });
  };

  const putRetentionPolicy: Handler<
    With<PutRetentionPolicyRequest, "logGroupName" | "retentionInDays">,
    object
  > = async (input, ctx) => {
    violations().groupName("logGroupName", input.logGroupName).throwIfAny();
    if (!RETENTION_DAYS.includes(input.retentionInDays)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `1 validation error detected: Value at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`,
      );
    }
    await store.write(async (tx) => {
      const g = await requireGroup(tx, ctx.region, input.logGroupName);
      await putGroup(tx, ctx.region, { ...g.value, retentionInDays: input.retentionInDays }, g.version);
    });
    return {};
  };

  const deleteRetentionPolicy: Handler<With<DeleteRetentionPolicyRequest, "logGroupName">, object> = async (
    input,
    ctx,
  ) => {
    violations().groupName("logGroupName", input.logGroupName).throwIfAny();
    await store.write(async (tx) => {
      const g = await requireGroup(tx, ctx.region, input.logGroupName);
      const { retentionInDays: _, ...rest } = g.value;
      await putGroup(tx, ctx.region, rest, g.version);
    });
    return {};
  };

  return {
    CreateLogGroup: createLogGroup,
    DeleteLogGroup: deleteLogGroup,
    DescribeLogGroups: describeLogGroups,
    PutRetentionPolicy: putRetentionPolicy,
    DeleteRetentionPolicy: deleteRetentionPolicy,
  };
}

/** A logGroupIdentifiers entry: a group elsewhere (another account or region) simply matches nothing. */
function groupNameOfIdentifierOrSkip(s: Scope, id: string): string {
  try {
    return groupNameOfArnOrName(s, id);
  } catch (err) {
    if (err instanceof AwsError && err.def === Errors.ResourceNotFound) return "";
    throw err;
  }
}
