/** AWS Secrets Manager (awsJson1_1, target prefix secretsmanager). */
import * as sdk from "@aws-sdk/client-secrets-manager";
import { coralMissing } from "../../domain/constraints.js";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { ServiceDefinition } from "../service.js";
import { secretsManagerAuthorization } from "./authz.js";
import type { SecretsManagerDeps } from "./common.js";
import { listHandlers } from "./list.js";
import { getRandomPassword } from "./password.js";
import { secretHandlers } from "./secrets.js";
import { versionHandlers } from "./versions.js";

let model: ServiceModel | undefined;
export const secretsManagerModel = () => (model ??= new ServiceModel(sdk));

const ROTATION =
  "rotation runs a Lambda function and Berth has no function runtime. Rotate a secret yourself: PutSecretValue with VersionStages AWSPENDING, then UpdateSecretVersionStage to move AWSCURRENT (docs/ARCHITECTURE.md).";

export function secretsManagerService(deps: SecretsManagerDeps): ServiceDefinition {
  return {
    id: "secretsmanager",
    title: "AWS Secrets Manager",
    signingName: "secretsmanager",
    protocol: "awsJson1_1",
    targetPrefix: "secretsmanager",
    model: secretsManagerModel(),
    validationError: Errors.Validation,
    missingMessage: coralMissing,
    handlers: {
      ...secretHandlers(deps),
      ...versionHandlers(deps),
      ...listHandlers(deps),
      GetRandomPassword: getRandomPassword,
    },
    authorization: secretsManagerAuthorization(deps.store),
    absent: {
      RotateSecret: ROTATION,
      CancelRotateSecret: ROTATION,
      ReplicateSecretToRegions: "Berth does not replicate secrets across Regions.",
      RemoveRegionsFromReplication: "Berth does not replicate secrets across Regions.",
      StopReplicationToReplica: "Berth does not replicate secrets across Regions.",
    },
    notes: {
      CreateSecret:
        "string or binary; AddReplicaRegions is refused; values are sealed by Berth's master key (docs/ARCHITECTURE.md)",
      ListSecrets:
        "filters name, description, tag-key, tag-value, all (and ! negation); default order created-date ascending",
      DeleteSecret:
        "recovery window 7-30 days or ForceDeleteWithoutRecovery; expired secrets are purged hourly",
    },
  };
}
