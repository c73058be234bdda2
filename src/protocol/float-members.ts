/**
 * The members of JSON-protocol inputs that AWS models as float or double; every other number is an
 * integer or long. The SDK's schemas do not tell the two apart (both are NumericSchema), so the
 * list comes from the services' botocore models (service-2.json, botocore 1.43): the float and
 * double members reachable from an operation input of ecs, ecr, ecr-public, kms, logs, ssm and
 * secretsmanager. Re-derive it when a service gains one; test/unit/json-codec.test.ts checks that
 * each entry is a number member of the SDK's model.
 *
 * Keys are `<structure>.<member>`; no list or map of these services holds floating-point values.
 */
export const FLOAT_MEMBERS: ReadonlySet<string> = new Set([
  // ECS
  "CanaryConfiguration.canaryPercent",
  "DaemonDeploymentConfiguration.drainPercent",
  "LinearConfiguration.stepPercent",
  "MemoryGiBPerVCpuRequest.max",
  "MemoryGiBPerVCpuRequest.min",
  "NetworkBandwidthGbpsRequest.max",
  "NetworkBandwidthGbpsRequest.min",
  "Resource.doubleValue",
  "Scale.value",
  "TotalLocalStorageGBRequest.max",
  "TotalLocalStorageGBRequest.min",
  // CloudWatch Logs
  "MetricTransformation.defaultValue",
]);
