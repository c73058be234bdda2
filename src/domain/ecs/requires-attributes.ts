/**
 * The container-instance attributes a task definition needs (`requiresAttributes`), derived from
 * the features it uses, named as the ECS agent advertises them. AWS does not publish its derivation;
 * this follows what real responses show, and the placement of tasks (the services issue) uses it to
 * match task definitions to container instances.
 */
import type { TaskDefinition } from "@aws-sdk/client-ecs";

const LEGACY = "com.amazonaws.ecs.capability.";
const CAP = "ecs.capability.";
const dockerApi = (v: string) => `${LEGACY}docker-remote-api.${v}`;

const isEcrImage = (image: string) => /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(image);
const isSecretsManager = (valueFrom: string) => valueFrom.startsWith("arn:aws:secretsmanager:");

export function requiredAttributes(
  td: Pick<
    TaskDefinition,
    | "containerDefinitions"
    | "networkMode"
    | "taskRoleArn"
    | "executionRoleArn"
    | "volumes"
    | "pidMode"
    | "ipcMode"
    | "proxyConfiguration"
    | "inferenceAccelerators"
  >,
): string[] {
  const out = new Set<string>();
  const add = (name: string) => out.add(name);
  if (td.networkMode === "awsvpc") {
    add(dockerApi("1.18"));
    add(`${CAP}task-eni`);
  }
  if (td.taskRoleArn) {
    add(`${LEGACY}task-iam-role`);
    if (td.networkMode === "host") add(`${LEGACY}task-iam-role-network-host`);
  }
  if (td.pidMode || td.ipcMode) add(`${CAP}pid-ipc-namespace-sharing`);
  if (td.proxyConfiguration) add(`${CAP}aws-appmesh`);
  if (td.inferenceAccelerators && td.inferenceAccelerators.length > 0) add(`${CAP}task-eia`);
  for (const v of td.volumes ?? []) {
    if (v.efsVolumeConfiguration) {
      add(`${CAP}efs`);
      if (
        v.efsVolumeConfiguration.transitEncryption === "ENABLED" ||
        v.efsVolumeConfiguration.authorizationConfig
      )
        add(`${CAP}efsAuth`);
    }
    const driver = v.dockerVolumeConfiguration?.driver;
    if (driver && driver !== "local") add(`${CAP}docker-plugin.${driver}`);
    if (v.fsxWindowsFileServerVolumeConfiguration) add(`${CAP}fsxWindowsFileServer`);
  }
  for (const c of td.containerDefinitions ?? []) {
    if (c.image && isEcrImage(c.image)) {
      add(`${LEGACY}ecr-auth`);
      if (td.executionRoleArn) add(`${CAP}execution-role-ecr-pull`);
    }
    if (c.repositoryCredentials) add(`${CAP}private-registry-authentication.secretsmanager`);
    if (c.memoryReservation !== undefined) add(dockerApi("1.21"));
    if ((c.ulimits?.length ?? 0) > 0 || c.dockerLabels) add(dockerApi("1.18"));
    const log = c.logConfiguration;
    if (log?.logDriver) {
      add(dockerApi("1.18"));
      add(`${LEGACY}logging-driver.${log.logDriver}`);
      if (log.options && Object.keys(log.options).length > 0) add(dockerApi("1.19"));
      if (log.logDriver === "awslogs" && td.executionRoleArn) add(`${CAP}execution-role-awslogs`);
      if (log.options?.["awslogs-create-group"] !== undefined) add(dockerApi("1.29"));
      if (log.options?.mode !== undefined) add(dockerApi("1.28"));
      for (const s of log.secretOptions ?? []) {
        add(
          isSecretsManager(s.valueFrom ?? "")
            ? `${CAP}secrets.asm.bootstrap.log-driver`
            : `${CAP}secrets.ssm.bootstrap.log-driver`,
        );
      }
    }
    if (c.healthCheck) {
      add(`${CAP}container-health-check`);
      if (c.healthCheck.startPeriod !== undefined) add(dockerApi("1.29"));
    }
    if (c.linuxParameters?.initProcessEnabled) add(dockerApi("1.25"));
    if (c.stopTimeout !== undefined) add(dockerApi("1.25"));
    if (
      (c.dependsOn?.length ?? 0) > 0 ||
      c.startTimeout !== undefined ||
      c.stopTimeout !== undefined ||
      c.firelensConfiguration
    ) {
      add(`${CAP}container-ordering`);
    }
    for (const s of c.secrets ?? []) {
      add(
        isSecretsManager(s.valueFrom ?? "")
          ? `${CAP}secrets.asm.environment-variables`
          : `${CAP}secrets.ssm.environment-variables`,
      );
    }
    if (c.firelensConfiguration?.type) add(`${CAP}firelens.${c.firelensConfiguration.type}`);
    if ((c.environmentFiles?.length ?? 0) > 0) add(`${CAP}env-files.s3`);
    if (c.privileged) add(`${LEGACY}privileged-container`);
    if (c.portMappings?.some((p) => p.containerPortRange !== undefined))
      add(`${CAP}network.container-port-range`);
    if (c.restartPolicy?.enabled) add(`${CAP}container-restart-policy`);
    if ((c.credentialSpecs?.length ?? 0) > 0) add(`${CAP}gmsa`);
  }
  return [...out];
}
