/** AWS Identity and Access Management (awsQuery). Global: the signature's region is accepted, state is account-wide. */
import * as sdk from "@aws-sdk/client-iam";
import { Errors } from "../../errors/catalog.js";
import type { Sealer } from "../../identity/sealer.js";
import { ServiceModel } from "../../protocol/model.js";
import type { IamGeneration } from "../../state/iam/watch.js";
import type { Store } from "../../state/store.js";
import type { ServiceDefinition } from "../service.js";
import { accessKeyHandlers } from "./access-keys.js";
import { iamAuthorization } from "./authz.js";
import { policyHandlers } from "./policies.js";
import { principalPolicyHandlers } from "./principal-policies.js";
import { roleHandlers } from "./roles.js";
import { userHandlers } from "./users.js";

export interface IamDeps {
  store: Store;
  /** Seals secret access keys before they are stored. */
  sealer: Sealer;
  /** Moves on every IAM change; authorization caches users' and roles' ARNs until it does. */
  generation: IamGeneration;
}

const BOUNDARY = "PermissionsBoundary is not supported (NotImplemented).";

export function iamService(deps: IamDeps): ServiceDefinition {
  const { store } = deps;
  return {
    id: "iam",
    title: "AWS IAM",
    signingName: "iam",
    protocol: "awsQuery",
    xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
    model: new ServiceModel(sdk),
    validationError: Errors.Validation,
    handlers: {
      ...userHandlers(store),
      ...accessKeyHandlers(store, deps.sealer),
      ...roleHandlers(store),
      ...policyHandlers(store),
      ...principalPolicyHandlers(store),
    },
    authorization: iamAuthorization(store, deps.generation),
    notes: {
      CreateUser: BOUNDARY,
      CreateRole: `${BOUNDARY} Principals of this account named in the trust policy must exist.`,
      GetUser: "Without UserName, only IAM users are described (the root user is not an IAM user in Berth).",
      CreateAccessKey:
        "For IAM users; the root credentials come from Berth's configuration. The secret is stored sealed (AES-256-GCM).",
      ListPolicies:
        "Scope=AWS lists the AWS managed policies Berth ships: AdministratorAccess, IAMReadOnlyAccess, AmazonECSTaskExecutionRolePolicy, AmazonEC2ContainerRegistryReadOnly. PolicyUsageFilter=PermissionsBoundary lists none.",
      ListEntitiesForPolicy: "Groups are not supported: PolicyGroups is always empty.",
    },
  };
}
