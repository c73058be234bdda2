/**
 * What Berth can honour when it runs a task. A task definition may use every field ECS accepts, but
 * a field Berth cannot honour makes RunTask fail with a message naming it — never silently ignored.
 */
import type { StoredTaskDefinition } from "./task-definition.js";

const HONOURED_LOG_DRIVERS = new Set(["awslogs", "json-file"]);
/** awslogs options the agent honours (endpoint and credentials options point at Berth anyway). */
const AWSLOGS_OPTIONS = new Set([
  "awslogs-group",
  "awslogs-region",
  "awslogs-stream-prefix",
  "awslogs-create-group",
  "awslogs-endpoint",
  "awslogs-credentials-endpoint",
  "mode",
  "max-buffer-size",
]);
const JSON_FILE_OPTIONS = new Set(["max-size", "max-file", "compress", "labels", "env", "tag"]);

/** Why Berth cannot run this task definition, or undefined when it can. */
export function unsupportedForRun(td: StoredTaskDefinition): string | undefined {
  if (td.proxyConfiguration) return "proxyConfiguration (App Mesh) is not supported";
  if ((td.inferenceAccelerators ?? []).length > 0) return "inferenceAccelerators are not supported";
  const os = td.runtimePlatform?.operatingSystemFamily;
  if (os && os !== "LINUX")
    return `runtimePlatform.operatingSystemFamily ${os} is not supported; Berth runs Linux containers`;
  const arch = td.runtimePlatform?.cpuArchitecture;
  if (arch && arch !== "X86_64")
    return `runtimePlatform.cpuArchitecture ${arch} is not supported on this host (X86_64)`;
  for (const v of td.volumes ?? []) {
    if (v.efsVolumeConfiguration) return `volume '${v.name}': efsVolumeConfiguration is not supported`;
    if (v.fsxWindowsFileServerVolumeConfiguration)
      return `volume '${v.name}': fsxWindowsFileServerVolumeConfiguration is not supported`;
    if (v.configuredAtLaunch) return `volume '${v.name}': configuredAtLaunch (EBS) volumes are not supported`;
  }
  for (const c of td.containerDefinitions) {
    const where = `container '${c.name}'`;
    if (c.firelensConfiguration) return `${where}: firelensConfiguration is not supported`;
    if ((c.environmentFiles ?? []).length > 0) return `${where}: environmentFiles (S3) are not supported`;
    if ((c.credentialSpecs ?? []).length > 0) return `${where}: credentialSpecs are not supported`;
    if ((c.resourceRequirements ?? []).length > 0)
      return `${where}: resourceRequirements (GPU, accelerators) are not supported`;
    if (c.repositoryCredentials) return `${where}: repositoryCredentials are not supported yet`;
    if ((c.secrets ?? []).length > 0) return `${where}: secrets are not supported yet`;
    if (c.logConfiguration && !HONOURED_LOG_DRIVERS.has(c.logConfiguration.logDriver ?? "")) {
      return `${where}: log driver '${c.logConfiguration.logDriver}' is not supported; use awslogs or json-file`;
    }
    if ((c.logConfiguration?.secretOptions ?? []).length > 0)
      return `${where}: logConfiguration.secretOptions are not supported yet`;
    if (c.logConfiguration) {
      const driver = c.logConfiguration.logDriver;
      const honoured = driver === "awslogs" ? AWSLOGS_OPTIONS : JSON_FILE_OPTIONS;
      const option = Object.keys(c.logConfiguration.options ?? {}).find((o) => !honoured.has(o));
      if (option !== undefined) return `${where}: ${driver} log option '${option}' is not supported`;
      const o = c.logConfiguration.options ?? {};
      if (driver === "awslogs" && !o["awslogs-group"])
        return `${where}: the awslogs driver needs the awslogs-group option`;
      if (o.mode !== undefined && o.mode !== "blocking" && o.mode !== "non-blocking") {
        return `${where}: log option mode must be blocking or non-blocking`;
      }
    }
    if (td.networkMode === "awsvpc") {
      // The task's containers share one network namespace, its DNS is the VPC's.
      if ((c.links ?? []).length > 0) return `${where}: links are not supported with networkMode awsvpc`;
      if (c.hostname !== undefined) return `${where}: hostname is not supported with networkMode awsvpc`;
      if ((c.extraHosts ?? []).length > 0)
        return `${where}: extraHosts are not supported with networkMode awsvpc`;
      if ((c.dnsServers ?? []).length > 0 || (c.dnsSearchDomains ?? []).length > 0)
        return `${where}: dnsServers and dnsSearchDomains are not supported with networkMode awsvpc (the task uses the VPC's DNS)`;
    }
    const lp = c.linuxParameters;
    if (lp?.maxSwap !== undefined || lp?.swappiness !== undefined)
      return `${where}: linuxParameters maxSwap and swappiness are not supported`;
    if (c.restartPolicy?.enabled) return `${where}: restartPolicy is not supported`;
  }
  return undefined;
}
