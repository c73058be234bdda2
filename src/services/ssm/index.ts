/** AWS Systems Manager Parameter Store (awsJson1_1, target prefix AmazonSSM). */
import * as sdk from "@aws-sdk/client-ssm";
import { coralMissing } from "../../domain/constraints.js";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { ServiceDefinition } from "../service.js";
import { ssmAuthorization } from "./authz.js";
import type { SsmDeps } from "./common.js";
import { listingHandlers } from "./listing.js";
import { parameterHandlers } from "./parameters.js";
import { tagHandlers } from "./tags.js";

export type { SsmDeps } from "./common.js";

let model: ServiceModel | undefined;
export const ssmModel = () => (model ??= new ServiceModel(sdk));

export function ssmService(deps: SsmDeps): ServiceDefinition {
  return {
    id: "ssm",
    title: "AWS Systems Manager (Parameter Store)",
    signingName: "ssm",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonSSM",
    model: ssmModel(),
    validationError: Errors.Validation,
    missingMessage: coralMissing,
    handlers: {
      ...parameterHandlers(deps),
      ...listingHandlers(deps),
      ...tagHandlers(deps),
    },
    authorization: ssmAuthorization(deps.store),
    notes: {
      PutParameter:
        "Standard and Advanced tiers (Intelligent-Tiering picks one); AllowedPattern is a JavaScript regex matched against the whole value; parameter policies are refused",
      GetParameter:
        "name, ARN, name:version and name:label; SecureString values are sealed by Berth's master key (see docs/ARCHITECTURE.md)",
      GetParametersByPath: "filters Type, KeyId and Label",
      AddTagsToResource: "Parameter resources only (Berth has no other taggable SSM resources)",
    },
  };
}
