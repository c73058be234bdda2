/**
 * AssumeRole. Whether the caller may assume the role (the role's trust policy, with sts:ExternalId
 * and sts:RoleSessionName in the context, and the caller's own policies) is decided by the
 * authorizer before this runs (see authz below); the handler validates the request and issues the
 * session.
 */
import type { AssumeRoleRequest, AssumeRoleResponse } from "@aws-sdk/client-sts";
import { AWS_MANAGED_POLICIES } from "../../domain/iam/aws-managed.js";
import { compileSpec } from "../../domain/iam/compile.js";
import { parseRoleArn } from "../../domain/iam/names.js";
import { parsePolicyDocument } from "../../domain/iam/policy-document.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { Sealer } from "../../identity/sealer.js";
import { issueRoleSession } from "../../identity/session-issuer.js";
import { packedPolicySize } from "../../identity/session-token.js";
import { getPolicy } from "../../state/iam/policies.js";
import { getRole } from "../../state/iam/users.js";
import type { Store } from "../../state/store.js";
import type { AuthzResolver, Handler } from "../service.js";

/** AssumeRole's bounds (STS API reference). */
export const MIN_DURATION = 900;
export const MAX_DURATION = 43200;
export const DEFAULT_DURATION = 3600;
/** A session assuming another role ("role chaining") gets at most an hour. */
export const CHAINED_MAX_DURATION = 3600;
const MAX_SESSION_POLICY_ARNS = 10;
const MAX_SESSION_POLICY_CHARS = 2048;

const UNSUPPORTED = [
  "Tags",
  "TransitiveTagKeys",
  "SerialNumber",
  "TokenCode",
  "SourceIdentity",
  "ProvidedContexts",
] as const;

function constraint(member: string, value: string, what: string): never {
  throw new AwsError(
    Errors.Validation,
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${what}`,
  );
}

function checkPattern(
  member: string,
  value: string,
  min: number,
  max: number,
  pattern: RegExp,
  shown: string,
): void {
  if (value.length < min)
    constraint(member, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) constraint(member, value, `Member must have length less than or equal to ${max}`);
  if (!pattern.test(value))
    constraint(member, value, `Member must satisfy regular expression pattern: ${shown}`);
}

/** The trust check AssumeRole makes: sts:AssumeRole on the role, which its trust policy must allow. */
export function assumeRoleAuthz(
  store: Store,
  compileTrust: (doc: string) => ReturnType<typeof compileSpec>,
): AuthzResolver<AssumeRoleRequest> {
  return async (input, info) => {
    const arn = input.RoleArn ?? "";
    const parsed = parseRoleArn(arn);
    const role =
      parsed && parsed.accountId === info.accountId
        ? await store.read((tx) => getRole(tx, parsed.name))
        : undefined;
    const trusted = role && role.value.arn === arn ? role.value : undefined;
    return [
      {
        resource: arn,
        context: {
          ...(input.ExternalId !== undefined ? { "sts:ExternalId": input.ExternalId } : {}),
          ...(input.RoleSessionName !== undefined ? { "sts:RoleSessionName": input.RoleSessionName } : {}),
        },
        ...(trusted ? { resourcePolicy: async () => compileTrust(trusted.assumeRolePolicy) } : {}),
        resourcePolicyRequired: true,
      },
    ];
  };
}

export function assumeRoleHandler(
  store: Store,
  sealer: Sealer,
): Handler<AssumeRoleRequest, AssumeRoleResponse> {
  return async (input, ctx) => {
    if (ctx.principal.kind === "root") {
      throw new AwsError(Errors.AccessDenied, "Roles may not be assumed by root accounts.");
    }
    for (const p of UNSUPPORTED) {
      if (input[p] !== undefined) {
        throw new AwsError(Errors.NotImplemented, `Berth does not implement the AssumeRole parameter ${p}.`);
      }
    }
    const arn = input.RoleArn!;
    const session = input.RoleSessionName!;
    if (arn.length < 20) constraint("roleArn", arn, "Member must have length greater than or equal to 20");
    if (arn.length > 2048) constraint("roleArn", arn, "Member must have length less than or equal to 2048");
    checkPattern("roleSessionName", session, 2, 64, /^[\w+=,.@-]*$/, "[\\w+=,.@-]*");
    if (input.ExternalId !== undefined) {
      checkPattern("externalId", input.ExternalId, 2, 1224, /^[\w+=,.@:/-]*$/, "[\\w+=,.@:\\/-]*");
    }
    const duration = input.DurationSeconds ?? DEFAULT_DURATION;
    if (duration < MIN_DURATION)
      constraint(
        "durationSeconds",
        String(duration),
        `Member must have value greater than or equal to ${MIN_DURATION}`,
      );
    if (duration > MAX_DURATION)
      constraint(
        "durationSeconds",
        String(duration),
        `Member must have value less than or equal to ${MAX_DURATION}`,
      );
    const policyArns = (input.PolicyArns ?? []).map((p) => p.arn ?? "");
    if (policyArns.length > MAX_SESSION_POLICY_ARNS) {
      constraint(
        "policyArns",
        `[${policyArns.join(", ")}]`,
        `Member must have length less than or equal to ${MAX_SESSION_POLICY_ARNS}`,
      );
    }
    if (input.Policy !== undefined) {
      if (input.Policy.length > MAX_SESSION_POLICY_CHARS) {
        constraint(
          "policy",
          input.Policy,
          `Member must have length less than or equal to ${MAX_SESSION_POLICY_CHARS}`,
        );
      }
      compileSpec(parsePolicyDocument(input.Policy, "identity"));
    }
    const packed = packedPolicySize(input.Policy, policyArns);
    if (packed > 100) {
      throw new AwsError(
        Errors.PackedPolicyTooLarge,
        `Packed policy consumes ${packed}% of allotted space, please use smaller policy.`,
      );
    }
    const role = await store.read(async (tx) => {
      for (const p of policyArns) {
        const known =
          AWS_MANAGED_POLICIES.some((a) => a.arn === p) ||
          (await getPolicy(tx, p.slice(p.lastIndexOf("/") + 1)))?.value.arn === p;
        if (!known)
          throw new AwsError(Errors.Validation, `The policy ${p} given in PolicyArns does not exist.`);
      }
      const parsed = parseRoleArn(arn);
      return parsed ? (await getRole(tx, parsed.name))?.value : undefined;
    });
    // The authorizer refused unknown roles already; a role deleted since then is refused the same way.
    if (!role || role.arn !== arn) {
      throw new AwsError(
        Errors.AccessDenied,
        `User: ${ctx.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
      );
    }
    if (ctx.principal.kind === "assumed-role" && duration > CHAINED_MAX_DURATION) {
      throw new AwsError(
        Errors.Validation,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    }
    if (duration > role.maxSessionDuration) {
      throw new AwsError(
        Errors.Validation,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      );
    }
    const issued = issueRoleSession(sealer, {
      accountId: ctx.accountId,
      role: { arn: role.arn, name: role.name, id: role.id },
      sessionName: session,
      now: ctx.now,
      durationSeconds: duration,
      ...(input.Policy !== undefined ? { policy: input.Policy } : {}),
      policyArns,
    });
    return {
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: new Date(issued.expiresAt),
      },
      AssumedRoleUser: { AssumedRoleId: issued.assumedRoleId, Arn: issued.assumedRoleArn },
      ...(input.Policy !== undefined || policyArns.length > 0 ? { PackedPolicySize: packed } : {}),
    };
  };
}
