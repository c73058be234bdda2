/**
 * The gateway's authorization step: after a request is authenticated and its input decoded, and
 * before its handler runs, every check the operation makes (its service's `authorization`, or
 * `<prefix>:<Operation>` on `*`) is evaluated against the caller's policies. The root credentials
 * skip it. A refusal is AccessDenied with AWS's wording.
 */
import type { PrincipalInfo } from "../domain/iam/compile.js";
import { normaliseIp } from "../domain/iam/conditions.js";
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

export interface Authorizer {
  /** Resolves when every check allows the request; throws AccessDenied otherwise. */
  authorize(req: AuthorizationRequest): Promise<void>;
}

const NO_POLICY = { statements: [], conditionKeys: new Set<string>() };
const DEFAULT_CHECKS: readonly AuthzCheck[] = [{ resource: "*" }];

/** The IAM action of an operation of a service: `ecs:RunTask`, `iam:CreateUser`, `sts:AssumeRole`. */
export const actionOf = (service: ServiceDefinition, operation: string): string =>
  `${service.authorization?.actionPrefix ?? service.signingName}:${operation}`;

/** Global condition keys every request carries (IAM User Guide, "AWS global condition context keys"). */
export function globalContext(
  p: Principal,
  caller: Pick<CallerPolicies, "principalTags">,
  req: Pick<AuthorizationRequest, "region" | "sourceIp" | "now">,
): Map<string, readonly string[]> {
  const ctx = new Map<string, readonly string[]>();
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined) ctx.set(k, [v]);
  };
  set("aws:currenttime", new Date(req.now).toISOString().replace(/\.\d{3}Z$/, "Z"));
  set("aws:epochtime", String(Math.floor(req.now / 1000)));
  set("aws:sourceip", normaliseIp(req.sourceIp));
  set("aws:securetransport", "false");
  set("aws:viaawsservice", "false");
  set("aws:requestedregion", req.region);
  set("aws:principalaccount", p.accountId);
  set("aws:userid", p.userId);
  if (p.kind === "user") {
    set("aws:principalarn", p.arn);
    set("aws:principaltype", "User");
    set("aws:username", p.userName);
  } else if (p.kind === "assumed-role") {
    set("aws:principalarn", p.role?.arn);
    set("aws:principaltype", "AssumedRole");
    if (p.session)
      set("aws:tokenissuetime", new Date(p.session.issuedAt).toISOString().replace(/\.\d{3}Z$/, "Z"));
  } else {
    set("aws:principalarn", rootArn(p.accountId));
    set("aws:principaltype", "Account");
  }
  for (const t of caller.principalTags) set(`aws:principaltag/${t.Key.toLowerCase()}`, t.Value);
  return ctx;
}

export function createAuthorizer(opts: { policies: CallerPolicyCache }): Authorizer {
  return {
    async authorize(req) {
      const { principal, service, operation } = req;
      if (principal.kind === "root") return;
      const auth = service.authorization;
      if (auth?.unrestricted?.includes(operation)) return;
      const action = actionOf(service, operation);
      const resolver = auth?.operations?.[operation];
      const checks = resolver
        ? await resolver(req.input as never, {
            region: req.region,
            accountId: principal.accountId,
            principal,
          })
        : DEFAULT_CHECKS;
      const caller = await opts.policies.forPrincipal(principal);
      const base = globalContext(principal, caller, req);
      const who: PrincipalInfo = {
        accountId: principal.accountId,
        arn: principal.arn,
        ...(principal.role ? { roleArn: principal.role.arn } : {}),
      };
      for (const check of checks) {
        let context = base;
        if (check.context || (check.tags && caller.readsResourceTags)) {
          const extended = new Map(base);
          for (const [k, v] of Object.entries(check.context ?? {})) {
            extended.set(k.toLowerCase(), typeof v === "string" ? [v] : v);
          }
          if (check.tags && caller.readsResourceTags) {
            for (const [k, v] of Object.entries((await check.tags()) ?? {})) {
              extended.set(`aws:resourcetag/${k.toLowerCase()}`, [v]);
            }
          }
          context = extended;
        }
        const resourcePolicy = check.resourcePolicy ? await check.resourcePolicy() : undefined;
        const checkAction = check.action ?? action;
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
        if (!decision.allowed) {
          throw new AwsError(
            Errors.AccessDenied,
            accessDeniedMessage(principal.arn, checkAction, check.resource, decision),
          );
        }
      }
    },
  };
}
