/** Amazon ECR (awsJson1_1, target prefix AmazonEC2ContainerRegistry_V20150921, signing name ecr). */
import * as sdk from "@aws-sdk/client-ecr";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { ServiceDefinition } from "../service.js";
import { ecrAuthorization } from "./authz.js";
import type { EcrDeps } from "./common.js";
import { imageHandlers } from "./images.js";
import { authorizationTokenHandler, layerHandlers } from "./layers.js";
import { lifecycleHandlers } from "./lifecycle.js";
import { repositoryHandlers } from "./repositories.js";

export type { EcrDeps } from "./common.js";

export function ecrService(deps: EcrDeps): ServiceDefinition {
  return {
    id: "ecr",
    title: "Amazon ECR",
    signingName: "ecr",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
    model: new ServiceModel(sdk),
    validationError: Errors.InvalidParameter,
    authorization: ecrAuthorization({ store: deps.store, compilePolicy: deps.compilePolicy, prefix: "ecr" }),
    handlers: {
      ...repositoryHandlers(deps),
      ...imageHandlers(deps),
      ...layerHandlers(deps),
      ...authorizationTokenHandler(deps),
      ...lifecycleHandlers(deps),
    },
    notes: {
      CreateRepository:
        "repositoryUri is `127.0.0.1:<port>/<region>/<name>`; encryption and scanOnPush are recorded, not acted on",
      BatchGetImage:
        "manifests are returned as pushed; no conversion between formats (acceptedMediaTypes is not an error)",
      StartLifecyclePolicyPreview: "computed at once; status is COMPLETE when the call returns",
      GetDownloadUrlForLayer: "a signed URL to Berth's registry, valid for one hour",
      GetAuthorizationToken:
        "valid 12 hours; a token issued to a role session expires with the session at the latest",
      DescribeRegistry: "no replication; replicationConfiguration has no rules",
      GetRegistryPolicy: "registry policies are not supported: always RegistryPolicyNotFoundException",
    },
  };
}
