/**
 * What Berth can honour when it runs a task. A task definition may use every field ECS accepts, but
 * a field Berth cannot honour makes RunTask fail with a message naming it — never silently ignored.
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
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
const JSON_FILE_OPTIONS = new Set([
  "max-size",
  "max-file",
  "compress",
  "labels",
  "labels-regex",
  "env",
  "env-regex",
  "tag",
]);
/** tmpfs mount options ECS accepts; those marked take a value (`mode=1777`). */
const TMPFS_FLAGS = new Set(
  "defaults ro rw suid nosuid dev nodev exec noexec sync async dirsync remount mand nomand atime noatime diratime nodiratime bind rbind unbindable runbindable private rprivate shared rshared slave rslave relatime norelatime strictatime nostrictatime".split(
    " ",
  ),
);
const TMPFS_VALUED = /^(mode|uid|gid|nr_inodes|nr_blocks|mpol)=[A-Za-z0-9:._-]+$/;

function unsupportedLogOption(c: ContainerDefinition): string | undefined {
  const lc = c.logConfiguration;
  if (!lc) return undefined;
  const allowed = lc.logDriver === "awslogs" ? AWSLOGS_OPTIONS : JSON_FILE_OPTIONS;
  const options = lc.options ?? {};
  const unknown = Object.keys(options).find((k) => !allowed.has(k));
  if (unknown !== undefined)
    return `${lc.logDriver} option '${unknown}' is not supported; Berth honours ${[...allowed].join(", ")}`;
  if (lc.logDriver === "awslogs" && !options["awslogs-group"])
    return "the awslogs log driver needs the option 'awslogs-group'";
  if (options.mode !== undefined && options.mode !== "blocking" && options.mode !== "non-blocking")
    return "option 'mode' must be blocking or non-blocking";
  return undefined;
}

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
    if (c.logConfiguration && !HONOURED_LOG_DRIVERS.has(c.logConfiguration.logDriver ?? "")) {
      return `${where}: log driver '${c.logConfiguration.logDriver}' is not supported; use awslogs or json-file`;
    }
    if ((c.logConfiguration?.secretOptions ?? []).length > 0)
      return `${where}: logConfiguration.secretOptions are not supported yet`;
    const logOption = unsupportedLogOption(c);
    if (logOption) return `${where}: logConfiguration: ${logOption}`;
    for (const t of c.linuxParameters?.tmpfs ?? []) {
      const bad = (t.mountOptions ?? []).find((o) => !TMPFS_FLAGS.has(o) && !TMPFS_VALUED.test(o));
      if (bad !== undefined)
        return `${where}: linuxParameters.tmpfs '${t.containerPath}': mount option '${bad}' is not a tmpfs mount option`;
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
