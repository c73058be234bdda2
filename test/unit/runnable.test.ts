/**
 * What Berth refuses to run (src/domain/ecs/runnable.ts): every field it cannot honour is named in
 * the refusal, never silently ignored.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { unsupportedForRun } from "../../src/domain/ecs/runnable.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";

/** A stored task definition Berth can run; `over` tweaks it, `container` tweaks its one container. */
function td(
  over: Partial<StoredTaskDefinition> = {},
  container: Partial<ContainerDefinition> = {},
): StoredTaskDefinition {
  return {
    family: "web",
    revision: 1,
    taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
    status: "ACTIVE",
    registeredAt: 0,
    containerDefinitions: [{ name: "app", image: "nginx", memory: 64, ...container }],
    ...over,
  };
}

describe("unsupportedForRun", () => {
  const runnable: { name: string; td: StoredTaskDefinition }[] = [
    { name: "a plain bridge task", td: td() },
    { name: "host and none network modes", td: td({ networkMode: "host" }) },
    {
      name: "runtimePlatform LINUX/X86_64",
      td: td({ runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" } }),
    },
    {
      name: "host, task and shared docker volumes",
      td: td({
        volumes: [
          { name: "h", host: { sourcePath: "/tmp" } },
          { name: "d", dockerVolumeConfiguration: { scope: "shared", autoprovision: true } },
        ],
      }),
    },
    {
      name: "awslogs with the options the agent honours",
      td: td(
        {},
        {
          logConfiguration: {
            logDriver: "awslogs",
            options: {
              "awslogs-group": "g",
              "awslogs-region": "us-east-1",
              "awslogs-stream-prefix": "p",
              "awslogs-create-group": "true",
              mode: "non-blocking",
              "max-buffer-size": "1m",
            },
          },
        },
      ),
    },
    {
      name: "json-file with its options",
      td: td(
        {},
        { logConfiguration: { logDriver: "json-file", options: { "max-size": "1m", "max-file": "2" } } },
      ),
    },
    {
      name: "linuxParameters other than swap",
      td: td({}, { linuxParameters: { initProcessEnabled: true, sharedMemorySize: 64 } }),
    },
    { name: "a restartPolicy that is disabled", td: td({}, { restartPolicy: { enabled: false } }) },
    { name: "networkMode awsvpc", td: td({ networkMode: "awsvpc" }) },
  ];
  for (const c of runnable) it(`runs ${c.name}`, () => assert.equal(unsupportedForRun(c.td), undefined));

  const refused: { td: StoredTaskDefinition; want: string }[] = [
    {
      td: td({ networkMode: "awsvpc" }, { links: ["db"] }),
      want: "container 'app': links are not supported with networkMode awsvpc",
    },
    {
      td: td({ networkMode: "awsvpc" }, { dnsServers: ["1.1.1.1"] }),
      want: "container 'app': dnsServers and dnsSearchDomains are not supported with networkMode awsvpc (the task uses the VPC's DNS)",
    },
    {
      td: td({ proxyConfiguration: { containerName: "app" } }),
      want: "proxyConfiguration (App Mesh) is not supported",
    },
    {
      td: td({ inferenceAccelerators: [{ deviceName: "d", deviceType: "eia2.medium" }] }),
      want: "inferenceAccelerators are not supported",
    },
    {
      td: td({ runtimePlatform: { operatingSystemFamily: "WINDOWS_SERVER_2022_CORE" } }),
      want: "runtimePlatform.operatingSystemFamily WINDOWS_SERVER_2022_CORE is not supported; Berth runs Linux containers",
    },
    {
      td: td({ runtimePlatform: { cpuArchitecture: "ARM64" } }),
      want: "runtimePlatform.cpuArchitecture ARM64 is not supported on this host (X86_64)",
    },
    {
      td: td({ volumes: [{ name: "e", efsVolumeConfiguration: { fileSystemId: "fs-1" } }] }),
      want: "volume 'e': efsVolumeConfiguration is not supported",
    },
    {
      td: td({
        volumes: [
          {
            name: "f",
            fsxWindowsFileServerVolumeConfiguration: {
              fileSystemId: "fs-1",
              rootDirectory: "/",
              authorizationConfig: { credentialsParameter: "x", domain: "d" },
            },
          },
        ],
      }),
      want: "volume 'f': fsxWindowsFileServerVolumeConfiguration is not supported",
    },
    {
      td: td({ volumes: [{ name: "b", configuredAtLaunch: true }] }),
      want: "volume 'b': configuredAtLaunch (EBS) volumes are not supported",
    },
    {
      td: td({}, { firelensConfiguration: { type: "fluentbit" } }),
      want: "container 'app': firelensConfiguration is not supported",
    },
    {
      td: td({}, { environmentFiles: [{ value: "arn:aws:s3:::b/e.env", type: "s3" }] }),
      want: "container 'app': environmentFiles (S3) are not supported",
    },
    { td: td({}, { credentialSpecs: ["x"] }), want: "container 'app': credentialSpecs are not supported" },
    {
      td: td({}, { resourceRequirements: [{ type: "GPU", value: "1" }] }),
      want: "container 'app': resourceRequirements (GPU, accelerators) are not supported",
    },
    {
      td: td({}, { logConfiguration: { logDriver: "syslog" } }),
      want: "container 'app': log driver 'syslog' is not supported; use awslogs or json-file",
    },
    {
      td: td(
        {},
        { logConfiguration: { logDriver: "awslogs", secretOptions: [{ name: "a", valueFrom: "b" }] } },
      ),
      want: "container 'app': logConfiguration.secretOptions are not supported yet",
    },
    {
      td: td(
        {},
        {
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "g", "awslogs-multiline-pattern": "^x" },
          },
        },
      ),
      want: "container 'app': logConfiguration: awslogs option 'awslogs-multiline-pattern' is not supported; Berth honours awslogs-group, awslogs-region, awslogs-stream-prefix, awslogs-create-group, awslogs-endpoint, awslogs-credentials-endpoint, mode, max-buffer-size",
    },
    {
      td: td(
        {},
        { logConfiguration: { logDriver: "json-file", options: { "max-size": "1m", "awslogs-group": "g" } } },
      ),
      want: "container 'app': logConfiguration: json-file option 'awslogs-group' is not supported; Berth honours max-size, max-file, compress, labels, labels-regex, env, env-regex, tag",
    },
    {
      td: td({}, { linuxParameters: { maxSwap: 10 } }),
      want: "container 'app': linuxParameters maxSwap and swappiness are not supported",
    },
    {
      td: td({}, { linuxParameters: { swappiness: 10 } }),
      want: "container 'app': linuxParameters maxSwap and swappiness are not supported",
    },
    {
      td: td({}, { restartPolicy: { enabled: true } }),
      want: "container 'app': restartPolicy is not supported",
    },
  ];
  for (const c of refused) it(`refuses: ${c.want}`, () => assert.equal(unsupportedForRun(c.td), c.want));

  it("names the first container that cannot run", () => {
    const t = td();
    t.containerDefinitions.push({ name: "second", image: "x", credentialSpecs: ["x"] });
    assert.equal(unsupportedForRun(t), "container 'second': credentialSpecs are not supported");
  });
});
