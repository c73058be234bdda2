/**
 * What a service module gives the gateway: its wire identity, its model, and its handlers.
 * Handlers are thin: validate what the model cannot, call domain and state, return the output.
 */
import type { CompiledPolicy } from "../domain/iam/compile.js";
import type { AwsError, ErrorDef } from "../errors/catalog.js";
import type { Principal } from "../identity/principal.js";
import type { Logger } from "../lib/log.js";
import type { ServiceModel } from "../protocol/model.js";

export type Protocol = "awsJson1_0" | "awsJson1_1" | "awsQuery" | "ec2Query";

export interface RequestContext {
  readonly requestId: string;
  /** From the signature's credential scope: state is per region, as on AWS. */
  readonly region: string;
  readonly accountId: string;
  readonly principal: Principal;
  /** Epoch ms when the request arrived; handlers use this, never the wall clock. */
  readonly now: number;
  readonly service: string;
  readonly operation: string;
  readonly sourceIp: string;
  readonly log: Logger;
  /**
   * Further authorization a handler asks for while it runs: permissions that depend on what the
   * request turns out to touch (BatchGetSecretValue's secretsmanager:GetSecretValue on each secret,
   * kms:Decrypt on the customer managed key of a SecureString being decrypted). Resolves to the
   * AccessDenied error of the first check refused, or undefined when all allow; the handler decides
   * whether to throw it or report it per item. It does no I/O of its own (the caller's policies were
   * loaded before the handler ran), so a handler may call it inside a store transaction as long as
   * the checks' `tags`/`resourcePolicy` functions read nothing from the store. Absent for callers
   * outside a signed request (tests calling handlers directly as root): no further checks.
   */
  readonly authorize?: (checks: readonly AuthzCheck[]) => Promise<AwsError | undefined>;
}

/**
 * A handler for one operation. Typed with the SDK's request/response types; `never` as the
 * parameter type lets a record hold handlers of different inputs.
 */
export type Handler<I = never, O = unknown> = (input: I, ctx: RequestContext) => Promise<O> | O;

export interface ServiceDefinition {
  /** Short id used in docs and logs: ecs, sts, ... */
  readonly id: string;
  /** Display name for docs/COMPATIBILITY.md. */
  readonly title: string;
  /** The service part of the SigV4 credential scope. */
  readonly signingName: string;
  readonly protocol: Protocol;
  /** JSON protocols: the X-Amz-Target prefix before the dot. */
  readonly targetPrefix?: string;
  /** Query protocols: the XML namespace of responses. */
  readonly xmlNamespace?: string;
  readonly model: ServiceModel;
  /** The error this service answers for a missing or unknown parameter. */
  readonly validationError: ErrorDef;
  /** The service's wording for a missing required parameter, when it has its own. */
  readonly missingMessage?: (member: string, path: string) => string;
  readonly handlers: Readonly<Record<string, Handler>>;
  /** Limits of supported operations, one line each, for docs/COMPATIBILITY.md. */
  readonly notes?: Readonly<Record<string, string>>;
  /**
   * Why an operation is deliberately not implemented, for the NotImplementedException message and
   * docs/COMPATIBILITY.md (e.g. Secrets Manager rotation needs a function runtime).
   */
  readonly absent?: Readonly<Record<string, string>>;
  /** How IAM authorizes this service's requests; absent: `<signingName>:<Operation>` on `*`. */
  readonly authorization?: ServiceAuthorization;
}

/**
 * One authorization check of a request: an action on a resource. Most operations make one check
 * of their own action; some make more (a resource each, or a second action such as iam:PassRole).
 */
export interface AuthzCheck {
  /** Defaults to the operation's own action, `<action prefix>:<Operation>`. */
  readonly action?: string;
  /** The resource's ARN, or `*` for actions without resource-level permissions. */
  readonly resource: string;
  /** Service-specific condition keys (ecs:cluster, iam:PolicyARN, sts:ExternalId, aws:TagKeys, ...). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** The resource's tags, for aws:ResourceTag/<key>; read only when a caller's policy asks. */
  readonly tags?: () => Promise<Readonly<Record<string, string>> | undefined>;
  /** A resource-based policy of the resource (a role's trust policy, an ECR repository policy). */
  readonly resourcePolicy?: () => Promise<CompiledPolicy | undefined>;
  /** The resource-based policy must allow the caller (trust policies); a missing one refuses. */
  readonly resourcePolicyRequired?: boolean;
}

export interface AuthzInfo {
  readonly region: string;
  readonly accountId: string;
  readonly principal: Principal;
  /** Epoch ms the request arrived (a resource whose deletion date has passed no longer exists). */
  readonly now: number;
}

/** Computes an operation's checks from its decoded input (never throws on bad input: the handler reports that). */
export type AuthzResolver<I = never> = (
  input: I,
  info: AuthzInfo,
) => readonly AuthzCheck[] | Promise<readonly AuthzCheck[]>;

export interface ServiceAuthorization {
  /** The IAM service prefix of the service's actions, when it differs from the signing name. */
  readonly actionPrefix?: string;
  /** Per operation; operations not listed make one check of their action on `*`. */
  readonly operations?: Readonly<Record<string, AuthzResolver>>;
  /** Operations any authenticated caller may make whatever its policies say (sts:GetCallerIdentity). */
  readonly unrestricted?: readonly string[];
  /**
   * Condition keys besides `aws:ResourceTag/<key>` that carry a resource's tags in this service, as
   * their prefix: `ssm:resourceTag/`, `secretsmanager:ResourceTag/`.
   */
  readonly resourceTagKeys?: readonly string[];
  /**
   * The service's resource-based policies (its checks' `resourcePolicy`) bind the account root too:
   * root's requests are resolved as well, and refused on an explicit Deny in such a policy (ECR
   * repository policies). Otherwise root's requests skip authorization.
   */
  readonly resourcePolicyBindsRoot?: boolean;
}
