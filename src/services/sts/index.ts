import type { GetCallerIdentityResponse } from "@aws-sdk/client-sts";
import * as sdk from "@aws-sdk/client-sts";
import type { CompiledPolicy } from "../../domain/iam/compile.js";
import { Errors } from "../../errors/catalog.js";
import type { Sealer } from "../../identity/sealer.js";
import { ServiceModel } from "../../protocol/model.js";
import type { Store } from "../../state/store.js";
import type { AuthzResolver, Handler, ServiceDefinition } from "../service.js";
import { assumeRoleAuthz, assumeRoleHandler } from "./assume-role.js";

const getCallerIdentity: Handler<unknown, GetCallerIdentityResponse> = (_input, ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.principal.accountId,
  Arn: ctx.principal.arn,
});

export interface StsDeps {
  store: Store;
  /** Seals session tokens. */
  sealer: Sealer;
  /** Compiles trust policies (shared with the authorizer's cache). */
  compileTrust(document: string): CompiledPolicy;
}

/** AWS Security Token Service (awsQuery). */
export function stsService(deps: StsDeps): ServiceDefinition {
  return {
    id: "sts",
    title: "AWS STS",
    signingName: "sts",
    protocol: "awsQuery",
    xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
    model: new ServiceModel(sdk),
    validationError: Errors.Validation,
    handlers: {
      GetCallerIdentity: getCallerIdentity,
      AssumeRole: assumeRoleHandler(deps.store, deps.sealer) as Handler,
    },
    authorization: {
      // "No permissions are required to perform this operation" (STS API reference).
      unrestricted: ["GetCallerIdentity"],
      operations: { AssumeRole: assumeRoleAuthz(deps.store, deps.compileTrust) as AuthzResolver },
    },
    notes: {
      AssumeRole:
        "Trust policy, ExternalId, DurationSeconds (role maximum; 1 hour when chaining) and session policies (Policy, PolicyArns) are enforced. Tags, TransitiveTagKeys, SourceIdentity, SerialNumber/TokenCode and ProvidedContexts answer NotImplemented. The root user cannot assume roles, as on AWS.",
    },
  };
}
