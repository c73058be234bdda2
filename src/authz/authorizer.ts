/**
 * The gateway's authorization step: after a request is authenticated and its input decoded, and
 * before its handler runs, every check the operation makes (its service's `authorization`, or
 * `<prefix>:<Operation>` on `*`) is evaluated against the caller's policies. The root credentials
 * skip it, except in services whose resource-based policies bind root too (ECR repository policies:
 * an explicit Deny there refuses even root, as on AWS). A refusal is AccessDenied with AWS's
 * wording. `check` makes the same decision for callers outside a gateway request (the registry's
 * /v2/ route).
 */
import { type CompiledPolicy, compileSpec, type PrincipalInfo } from "../domain/iam/compile.js";
import { normaliseIp } from "../domain/iam/conditions.js";
import type { ContextKeys } from "../domain/iam/context.js";
import { accessDeniedMessage, evaluate } from "../domain/iam/evaluate.js";
import { AwsError, Errors } from "../errors/catalog.js";
import type { Principal } from "../identity/principal.js";
import { rootArn } from "../identity/principal.js";
import type { AuthzCheck, ServiceDefinition } from "../services/service.js";
import type { CallerPolicies, CallerPolicyCache } from "./caller-policies.js";

export interface AuthorizationRequest {
  readonly service: ServiceDefinition;
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly principal: Principal;
  readonly region: string;
  readonly sourceIp: string;
  /** Epoch ms the request arrived. */
  readonly now: number;
}

/**
 * Evaluates further checks for the caller of a request that was already authorized (a handler's
 * per-item checks, see RequestContext.authorize): the AccessDenied error of the first check
 * refused, or undefined. Checks without an action use the request's operation's action.
 */
export type FurtherChecks = (checks: readonly AuthzCheck[]) => Promise<AwsError | undefined>;

/** Where and when a request outside the gateway (a registry request) was made. */
export interface CheckRequest {
  readonly region: string;
  readonly sourceIp: string;
  /** Epoch ms the request arrived. */
  readonly now: number;
  /** Condition keys besides aws:ResourceTag/ that carry the resource's tags (`ecr:ResourceTag/`). */
  readonly resourceTagKeys?: readonly string[];
}

/** A check that names its action (there is no operation to take it from). */
export type ActionCheck = AuthzCheck & { readonly action: string };

export interface Authorizer {
  /**
   * Resolves when every check allows the request, to the function that evaluates the request's
   * further checks with the same caller's policies; throws AccessDenied otherwise.
   */
  authorize(req: AuthorizationRequest): Promise<FurtherChecks>;
  /**
   * The AccessDenied error of the first refused check, or undefined when `principal` may make them
   * all: the same evaluation as `authorize` (identity and session policies, the checks' resource
   * policies). Root is allowed unless a (non-trust) resource-based policy explicitly denies it.
   */
  check(
    principal: Principal,
    checks: readonly ActionCheck[],
    req: CheckRequest,
  ): Promise<AwsError | undefined>;
}

const NO_POLICY: CompiledPolicy = {
  statements: [],
  conditionKeys: new Set<string>(),
  statementsFor: () => [],
};
const DEFAULT_CHECKS: readonly AuthzCheck[] = [{ resource: "*" }];

/**
 * The account root's permissions: everything in its account. Identity policies cannot restrict it;
 * only an explicit Deny in a resource-based policy (evaluated with this) can.
 */
const ROOT_CALLER: CallerPolicies = {
  identity: [
    compileSpec({
      version: "2012-10-17",
      statements: [{ effect: "Allow", action: ["*"], resource: ["*"], conditions: [] }],
    }),
  ],
  principalTags: new Map(),
  tagReaders: [],
};

/** The IAM action of an operation of a service: `ecs:RunTask`, `iam:CreateUser`, `sts:AssumeRole`. */
export const actionOf = (service: ServiceDefinition, operation: string): string =>
  `${service.authorization?.actionPrefix ?? service.signingName}:${operation}`;

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The request context: the global condition keys every request carries (IAM User Guide, "AWS
 * global condition context keys"), computed only when a condition or policy variable reads them,
 * under the check's own keys (service keys, resource tags).
 */
export class RequestKeys implements ContextKeys {
  constructor(
    private readonly p: Principal,
    private readonly principalTags: ReadonlyMap<string, readonly string[]>,
    private readonly req: Pick<AuthorizationRequest, "region" | "sourceIp" | "now">,
    private readonly extra?: ReadonlyMap<string, readonly string[]>,
  ) {}

  /** The same request with more keys (which win over global ones). */
  with(extra: ReadonlyMap<string, readonly string[]>): RequestKeys {
    return new RequestKeys(this.p, this.principalTags, this.req, extra);
  }

  get(key: string): readonly string[] | undefined {
    const hit = this.extra?.get(key);
    if (hit !== undefined) return hit;
    const v = this.global(key);
    return v === undefined ? undefined : [v];
  }

  private global(key: string): string | undefined {
    const { p, req } = this;
    switch (key) {
      case "aws:currenttime":
        return isoSeconds(req.now);
      case "aws:epochtime":
        return String(Math.floor(req.now / 1000));
      case "aws:sourceip":
        return normaliseIp(req.sourceIp);
      case "aws:securetransport":
      case "aws:viaawsservice":
        return "false";
      case "aws:requestedregion":
        return req.region;
      case "aws:principalaccount":
        return p.accountId;
      case "aws:userid":
        return p.userId;
      case "aws:username":
        return p.kind === "user" ? p.userName : undefined;
      case "aws:principalarn":
        return p.kind === "user" ? p.arn : p.kind === "assumed-role" ? p.role?.arn : rootArn(p.accountId);
      case "aws:principaltype":
        return p.kind === "user" ? "User" : p.kind === "assumed-role" ? "AssumedRole" : "Account";
      case "aws:tokenissuetime":
        return p.session ? isoSeconds(p.session.issuedAt) : undefined;
      default:
        return key.startsWith("aws:principaltag/") ? this.principalTags.get(key)?.[0] : undefined;
    }
  }
}

/** A refusal is an answer, not a fault: no stack trace is captured for it. */
function accessDenied(message: string): AwsError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AwsError(Errors.AccessDenied, message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const ALLOW_ALL: FurtherChecks = async () => undefined;

export function createAuthorizer(opts: { policies: CallerPolicyCache }): Authorizer {
  /**
   * The function that evaluates checks for one caller and request; checks without an action use
   * `defaultAction`. `tagPrefixes` are the service's own resource tag keys (ssm:resourceTag/).
   */
  async function checker(
    principal: Principal,
    req: CheckRequest,
    defaultAction: string,
    tagPrefixes: readonly string[],
  ): Promise<FurtherChecks> {
    const root = principal.kind === "root";
    const caller = root ? ROOT_CALLER : await opts.policies.forPrincipal(principal);
    const base = new RequestKeys(principal, caller.principalTags, req);
    const who: PrincipalInfo = {
      accountId: principal.accountId,
      arn: principal.arn,
      ...(principal.role ? { roleArn: principal.role.arn } : {}),
    };

    /** The refusal of one check, or undefined when it is allowed. */
    async function refusal(check: AuthzCheck): Promise<AwsError | undefined> {
      // Root may do anything but what a resource-based policy denies it (trust policies aside:
      // STS refuses root's AssumeRole itself).
      if (root && (!check.resourcePolicy || check.resourcePolicyRequired)) return undefined;
      const checkAction = check.action ?? defaultAction;
      const lower = checkAction.toLowerCase();
      const resourcePolicy = check.resourcePolicy ? await check.resourcePolicy() : undefined;
      const needsTags =
        check.tags !== undefined &&
        (caller.tagReaders.some((s) => s.coversAction(lower, base)) ||
          (resourcePolicy?.statementsFor(lower).some((s) => s.readsResourceTags) ?? false));
      let context: ContextKeys = base;
      if (check.context || needsTags) {
        const extended = new Map<string, readonly string[]>();
        for (const [k, v] of Object.entries(check.context ?? {})) {
          extended.set(k.toLowerCase(), typeof v === "string" ? [v] : v);
        }
        if (needsTags && check.tags) {
          for (const [k, v] of Object.entries((await check.tags()) ?? {})) {
            const key = k.toLowerCase();
            extended.set(`aws:resourcetag/${key}`, [v]);
            for (const p of tagPrefixes) {
              // ssm:resourceTag/… applies to ssm: actions, not to a kms:Decrypt check SSM makes.
              if (lower.startsWith(p.slice(0, p.indexOf(":") + 1))) extended.set(`${p}${key}`, [v]);
            }
          }
        }
        context = base.with(extended);
      }
      const decision = evaluate({
        action: checkAction,
        resource: check.resource,
        context,
        identity: caller.identity,
        session: caller.session,
        ...(resourcePolicy || check.resourcePolicyRequired
          ? {
              resourcePolicy: {
                policy: resourcePolicy ?? NO_POLICY,
                principal: who,
                required: check.resourcePolicyRequired ?? false,
              },
            }
          : {}),
      });
      return decision.allowed
        ? undefined
        : accessDenied(accessDeniedMessage(principal.arn, checkAction, check.resource, decision));
    }

    return async (list) => {
      for (const check of list) {
        const refused = await refusal(check);
        if (refused) return refused;
      }
      return undefined;
    };
  }

  return {
    async authorize(req) {
      const { principal, service, operation } = req;
      const auth = service.authorization;
      if (principal.kind === "root" && !auth?.resourcePolicyBindsRoot) return ALLOW_ALL;
      if (auth?.unrestricted?.includes(operation)) return ALLOW_ALL;
      const resolver = auth?.operations?.[operation];
      const checks = resolver
        ? await resolver(req.input as never, {
            region: req.region,
            accountId: principal.accountId,
            principal,
            now: req.now,
          })
        : DEFAULT_CHECKS;
      const tagPrefixes = (auth?.resourceTagKeys ?? []).map((p) => p.toLowerCase());
      const further = await checker(principal, req, actionOf(service, operation), tagPrefixes);
      const refused = await further(checks);
      if (refused) throw refused;
      return further;
    },

    async check(principal, checks, req) {
      const tagPrefixes = (req.resourceTagKeys ?? []).map((p) => p.toLowerCase());
      const further = await checker(principal, req, "", tagPrefixes);
      return further(checks);
    },
  };
}
