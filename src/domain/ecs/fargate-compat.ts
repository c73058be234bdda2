/**
 * What a Fargate task definition must not use: the host-level features Fargate refuses, so that a
 * user limited to Fargate cannot reach the host through them (host paths, Docker volumes, devices,
 * added capabilities, privileged mode, security options, swap, the host's IPC or PID namespace).
 *
 * The list is AWS's ("Amazon ECS task definition differences for the Fargate launch type": disableNetworking,
 * dnsSearchDomains, dnsServers, dockerSecurityOptions, extraHosts, gpu, ipcMode, links,
 * placementConstraints, privileged, maxSwap, swappiness; linuxParameters may add only SYS_PTRACE and
 * may not set devices, sharedMemorySize or tmpfs; volumes may not use dockerVolumeConfiguration).
 * Pure: RegisterTaskDefinition throws the answer as a ClientException, RunTask and CreateService as
 * an InvalidParameterException for a definition stored before these rules.
 */
import type { ContainerDefinition, Volume } from "@aws-sdk/client-ecs";

/** The parts of a task definition (request or stored) that Fargate's rules look at. */
export interface FargateCheckable {
  ipcMode?: string | undefined;
  pidMode?: string | undefined;
  placementConstraints?: readonly unknown[] | undefined;
  volumes?: readonly Volume[] | undefined;
  containerDefinitions?: readonly ContainerDefinition[] | undefined;
}

/** The only Linux capability a Fargate container may add. */
export const FARGATE_CAPABILITY = "SYS_PTRACE";
const FARGATE_LOG_DRIVERS = ["awslogs", "splunk", "awsfirelens"];

/** ECS's wording for a parameter Fargate refuses. */
const notSupported = (parameter: string) => `Fargate compatible task definitions do not support ${parameter}`;

const some = (list: readonly unknown[] | undefined): boolean => (list ?? []).length > 0;

/** Why Fargate refuses this task definition (the first violation, in ECS's words), or undefined. */
export function fargateRefusal(td: FargateCheckable): string | undefined {
  if (td.ipcMode !== undefined) return "Tasks using the Fargate launch type do not support ipcMode.";
  if (td.pidMode !== undefined && td.pidMode !== "task")
    return `Tasks using the Fargate launch type do not support pidMode '${td.pidMode}'. The supported value for pidMode is 'task'.`;
  if (some(td.placementConstraints)) return "Fargate does not support task placement constraints.";
  for (const v of td.volumes ?? []) {
    if (v.host?.sourcePath) return "host.sourcePath should not be set for volumes in Fargate.";
    if (v.dockerVolumeConfiguration) return notSupported("dockerVolumeConfiguration");
  }
  for (const c of td.containerDefinitions ?? []) {
    const why = containerRefusal(c);
    if (why) return why;
  }
  return undefined;
}

function containerRefusal(c: ContainerDefinition): string | undefined {
  if (c.privileged) return `Fargate does not support privileged containers (container '${c.name}').`;
  const driver = c.logConfiguration?.logDriver;
  if (driver && !FARGATE_LOG_DRIVERS.includes(driver))
    return `Fargate does not support the log driver '${driver}'. Supported log drivers are awslogs, splunk and awsfirelens.`;
  if (some(c.dockerSecurityOptions)) return notSupported("dockerSecurityOptions");
  if (c.disableNetworking) return notSupported("disableNetworking");
  if (some(c.links)) return notSupported("links");
  if (some(c.dnsServers)) return notSupported("dnsServers");
  if (some(c.dnsSearchDomains)) return notSupported("dnsSearchDomains");
  if (some(c.extraHosts)) return notSupported("extraHosts");
  if ((c.resourceRequirements ?? []).some((r) => r.type === "GPU")) return notSupported("gpu");
  const lp = c.linuxParameters;
  if (lp === undefined) return undefined;
  const added = (lp.capabilities?.add ?? []).find((cap) => cap !== FARGATE_CAPABILITY);
  if (added !== undefined)
    return `Fargate compatible task definitions only support adding the ${FARGATE_CAPABILITY} Linux capability; container '${c.name}' adds ${added}.`;
  if (some(lp.devices)) return notSupported("devices");
  if (lp.sharedMemorySize !== undefined) return notSupported("sharedMemorySize");
  if (some(lp.tmpfs)) return notSupported("tmpfs");
  if (lp.maxSwap !== undefined) return notSupported("maxSwap");
  if (lp.swappiness !== undefined) return notSupported("swappiness");
  return undefined;
}
