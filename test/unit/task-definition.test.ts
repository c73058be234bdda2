/**
 * RegisterTaskDefinition's pure rules: validation (first violation wins, ECS's error code and
 * wording), the defaults ECS fills in, cpu/memory normalisation, Fargate sizes, requiresAttributes
 * and compatibilities. Also the identifier parsing in arns.ts. The expectations come from
 * docs/research/ecs-taskdef.md, not from the implementation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest } from "@aws-sdk/client-ecs";
import { clusterName, parseTaskDefinitionRef } from "../../src/domain/ecs/arns.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { parseTaskCpu, parseTaskMemory } from "../../src/domain/ecs/task-size.js";
import { AwsError } from "../../src/errors/catalog.js";

const CLIENT = "ClientException";
const INVALID = "InvalidParameterException";

const FACTS = {
  arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
  revision: 1,
  registeredAt: 1_700_000_000_123,
  registeredBy: "arn:aws:iam::000000000000:root",
};

/** Requests are written loosely so that invalid enum values and missing members can be expressed. */
type Req = Record<string, unknown>;

const build = (req: Req): StoredTaskDefinition =>
  buildTaskDefinition(req as unknown as RegisterTaskDefinitionRequest, FACTS);

/** A valid container; `extra` overrides or adds members. */
const C = (extra: Req = {}): Req => ({ name: "app", image: "nginx", memory: 128, ...extra });
/** A valid EC2 (no requiresCompatibilities) request. */
const ec2 = (extra: Req = {}, containers: Req[] = [C()]): Req => ({
  family: "web",
  containerDefinitions: containers,
  ...extra,
});
/** A valid Fargate request: awsvpc, 256 CPU, 512 MiB. */
const fargate = (extra: Req = {}, containers: Req[] = [{ name: "app", image: "nginx" }]): Req => ({
  family: "web",
  requiresCompatibilities: ["FARGATE"],
  networkMode: "awsvpc",
  cpu: "256",
  memory: "512",
  containerDefinitions: containers,
  ...extra,
});

function rejects(req: Req, code: string, message: string): void {
  assert.throws(
    () => build(req),
    (err: unknown) => {
      assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
      assert.deepEqual({ code: err.def.code, message: err.message }, { code, message });
      return true;
    },
  );
}

interface Case {
  name: string;
  req: Req;
  code: string;
  message: string;
}

function table(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => rejects(c.req, c.code, c.message));
  }
}

/**
 * The host-level features AWS Fargate refuses ("Amazon ECS task definition differences for the
 * Fargate launch type"), one Fargate request each, with ECS's ClientException wording.
 */
function hostLevelFeatures(): Case[] {
  const app = (extra: Req): Req[] => [{ name: "app", image: "nginx", ...extra }];
  const refused = (name: string, containers: Req[], parameter: string, volumes?: Req[]): Case => ({
    name,
    req: fargate(volumes ? { volumes } : {}, containers),
    code: CLIENT,
    message: `Fargate compatible task definitions do not support ${parameter}`,
  });
  return [
    refused("a Docker volume", app({}), "dockerVolumeConfiguration", [
      { name: "v", dockerVolumeConfiguration: { scope: "task", driver: "local" } },
    ]),
    refused(
      "dockerSecurityOptions",
      app({ dockerSecurityOptions: ["apparmor:unconfined"] }),
      "dockerSecurityOptions",
    ),
    refused("disableNetworking", app({ disableNetworking: true }), "disableNetworking"),
    refused("links", app({ links: ["db"] }), "links"),
    refused("dnsServers", app({ dnsServers: ["10.0.0.2"] }), "dnsServers"),
    refused("dnsSearchDomains", app({ dnsSearchDomains: ["corp.example"] }), "dnsSearchDomains"),
    refused("extraHosts", app({ extraHosts: [{ hostname: "db", ipAddress: "10.0.0.9" }] }), "extraHosts"),
    refused("a GPU", app({ resourceRequirements: [{ type: "GPU", value: "1" }] }), "gpu"),
    refused("devices", app({ linuxParameters: { devices: [{ hostPath: "/dev/kmsg" }] } }), "devices"),
    refused("sharedMemorySize", app({ linuxParameters: { sharedMemorySize: 64 } }), "sharedMemorySize"),
    refused("tmpfs", app({ linuxParameters: { tmpfs: [{ containerPath: "/run", size: 8 }] } }), "tmpfs"),
    refused("maxSwap", app({ linuxParameters: { maxSwap: 0 } }), "maxSwap"),
    refused("swappiness", app({ linuxParameters: { swappiness: 10 } }), "swappiness"),
    {
      name: "an added capability other than SYS_PTRACE",
      req: fargate({}, app({ linuxParameters: { capabilities: { add: ["SYS_PTRACE", "SYS_ADMIN"] } } })),
      code: CLIENT,
      message:
        "Fargate compatible task definitions only support adding the SYS_PTRACE Linux capability; container 'app' adds SYS_ADMIN.",
    },
    {
      name: "ALL capabilities added",
      req: fargate({}, app({ linuxParameters: { capabilities: { add: ["ALL"] } } })),
      code: CLIENT,
      message:
        "Fargate compatible task definitions only support adding the SYS_PTRACE Linux capability; container 'app' adds ALL.",
    },
  ];
}

const sorted = (names: readonly string[]) => [...names].sort();
const attrs = (td: StoredTaskDefinition) => sorted((td.requiresAttributes ?? []).map((a) => a.name!));

describe("buildTaskDefinition: validation", () => {
  describe("family", () => {
    table([
      { name: "empty family", req: ec2({ family: "" }), code: CLIENT, message: "Family can not be blank." },
      {
        name: "missing family",
        req: ec2({ family: undefined }),
        code: CLIENT,
        message: "Family can not be blank.",
      },
      {
        name: "family with a space",
        req: ec2({ family: "web app" }),
        code: CLIENT,
        message: "Family contains invalid characters.",
      },
      {
        name: "family with a colon",
        req: ec2({ family: "web:1" }),
        code: CLIENT,
        message: "Family contains invalid characters.",
      },
      {
        name: "family of 256 characters",
        req: ec2({ family: "f".repeat(256) }),
        code: CLIENT,
        message: "Family contains invalid characters.",
      },
      {
        name: "request over 64 KiB",
        req: ec2({}, [C({ environment: [{ name: "BIG", value: "x".repeat(65 * 1024) }] })]),
        code: CLIENT,
        message: "Task definition size exceeds the maximum of 64 KiB.",
      },
    ]);
    it("accepts a family of 255 letters, digits, hyphens and underscores", () => {
      const family = `A-b_9${"f".repeat(250)}`;
      assert.equal(build(ec2({ family })).family, family);
    });
  });

  describe("enumerated task members", () => {
    table([
      {
        name: "networkMode",
        req: ec2({ networkMode: "overlay" }),
        code: INVALID,
        message: "networkMode should be one of [awsvpc,bridge,host,none]",
      },
      {
        name: "pidMode",
        req: ec2({ pidMode: "container" }),
        code: INVALID,
        message: "pidMode should be one of [host,task]",
      },
      {
        name: "ipcMode",
        req: ec2({ ipcMode: "shareable" }),
        code: INVALID,
        message: "ipcMode should be one of [host,none,task]",
      },
      {
        name: "requiresCompatibilities",
        req: ec2({ requiresCompatibilities: ["EC2", "LAMBDA"] }),
        code: INVALID,
        message: "requiresCompatibilities should be one of [EC2,EXTERNAL,FARGATE,MANAGED_INSTANCES]",
      },
    ]);
  });

  describe("task cpu and memory", () => {
    table([
      {
        name: "empty cpu string is InvalidParameterException",
        req: ec2({ cpu: "" }),
        code: INVALID,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "unparsable cpu",
        req: ec2({ cpu: "lots" }),
        code: INVALID,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "zero cpu",
        req: ec2({ cpu: "0" }),
        code: INVALID,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "EC2 cpu below 128 is ClientException",
        req: ec2({ cpu: "127" }),
        code: CLIENT,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "EC2 cpu above 196608",
        req: ec2({ cpu: "196609" }),
        code: CLIENT,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "empty memory string",
        req: ec2({ memory: "" }),
        code: INVALID,
        message: "Invalid 'memory' setting for task.",
      },
      {
        name: "unparsable memory",
        req: ec2({ memory: "2 TB" }),
        code: INVALID,
        message: "Invalid 'memory' setting for task.",
      },
      {
        name: "memory below 6 MiB",
        req: ec2({ memory: "5" }),
        code: CLIENT,
        message: "Invalid 'memory' setting for task.",
      },
    ]);
    it("accepts EC2 cpu at both ends of 128..196608", () => {
      assert.equal(build(ec2({ cpu: "128" })).cpu, "128");
      assert.equal(build(ec2({ cpu: "196608" })).cpu, "196608");
    });
  });

  describe("containers", () => {
    table([
      {
        name: "empty container list",
        req: ec2({}, []),
        code: CLIENT,
        message: "Container list cannot be empty.",
      },
      {
        name: "missing container list",
        req: { family: "web" },
        code: CLIENT,
        message: "Container list cannot be empty.",
      },
      {
        name: "eleven containers",
        req: ec2(
          {},
          Array.from({ length: 11 }, (_, i) => C({ name: `c${i}` })),
        ),
        code: CLIENT,
        message: "Too many containers.",
      },
      {
        name: "container without a name",
        req: ec2({}, [C({ name: undefined })]),
        code: CLIENT,
        message: "Container.name should not be null or empty.",
      },
      {
        name: "container with an empty name",
        req: ec2({}, [C({ name: "" })]),
        code: CLIENT,
        message: "Container.name should not be null or empty.",
      },
      {
        name: "container name with a dot",
        req: ec2({}, [C({ name: "my.app" })]),
        code: CLIENT,
        message: "Container.name contains invalid characters.",
      },
      {
        name: "duplicate container names",
        req: ec2({}, [C(), C()]),
        code: CLIENT,
        message: "Container names must be unique within a Task Definition.",
      },
      {
        name: "container without an image",
        req: ec2({}, [C({ image: undefined })]),
        code: CLIENT,
        message: "Container.image should not be null or empty.",
      },
      {
        name: "image with a space",
        req: ec2({}, [C({ image: "nginx latest" })]),
        code: CLIENT,
        message: "Invalid image name for container 'app': nginx latest",
      },
      {
        name: "no essential container",
        req: ec2({}, [C({ essential: false }), C({ name: "side", essential: false })]),
        code: CLIENT,
        message: "Task definition doesn't have any essential container.",
      },
    ]);
    it("accepts ten containers, and counts an omitted essential as true", () => {
      const td = build(
        ec2(
          {},
          Array.from({ length: 10 }, (_, i) => C({ name: `c${i}`, essential: i === 0 ? undefined : false })),
        ),
      );
      assert.equal(td.containerDefinitions.length, 10);
      assert.equal(td.containerDefinitions[0]!.essential, true);
    });
  });

  describe("Fargate", () => {
    table([
      {
        name: "network mode omitted",
        req: fargate({ networkMode: undefined }),
        code: CLIENT,
        message: "Fargate only supports network mode \u2018awsvpc\u2019.",
      },
      {
        name: "network mode bridge",
        req: fargate({ networkMode: "bridge" }),
        code: CLIENT,
        message: "Fargate only supports network mode \u2018awsvpc\u2019.",
      },
      {
        name: "no task cpu",
        req: fargate({ cpu: undefined }),
        code: CLIENT,
        message: "Fargate requires that 'cpu' be defined at the task level.",
      },
      {
        name: "no task memory",
        req: fargate({ memory: undefined }),
        code: CLIENT,
        message: "Fargate requires that 'memory' be defined at the task level.",
      },
      {
        name: "a size Fargate does not offer",
        req: fargate({ cpu: "1024", memory: "1024" }),
        code: CLIENT,
        message:
          "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.",
      },
      {
        name: "ipcMode",
        req: fargate({ ipcMode: "task" }),
        code: CLIENT,
        message: "Tasks using the Fargate launch type do not support ipcMode.",
      },
      {
        name: "pidMode host",
        req: fargate({ pidMode: "host" }),
        code: CLIENT,
        message:
          "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
      },
      {
        name: "placement constraints",
        req: fargate({ placementConstraints: [{ type: "memberOf", expression: "attribute:x == y" }] }),
        code: CLIENT,
        message: "Fargate does not support task placement constraints.",
      },
      {
        name: "host volume with a source path",
        req: fargate({ volumes: [{ name: "v", host: { sourcePath: "/data" } }] }),
        code: CLIENT,
        message: "host.sourcePath should not be set for volumes in Fargate.",
      },
      {
        name: "privileged container",
        req: fargate({}, [{ name: "app", image: "nginx", privileged: true }]),
        code: CLIENT,
        message: "Fargate does not support privileged containers (container 'app').",
      },
      {
        name: "json-file log driver",
        req: fargate({}, [{ name: "app", image: "nginx", logConfiguration: { logDriver: "json-file" } }]),
        code: CLIENT,
        message:
          "Fargate does not support the log driver 'json-file'. Supported log drivers are awslogs, splunk and awsfirelens.",
      },
      ...hostLevelFeatures(),
      {
        name: "Fargate rules apply when EC2 is also required",
        req: fargate({ requiresCompatibilities: ["EC2", "FARGATE"], networkMode: "bridge" }),
        code: CLIENT,
        message: "Fargate only supports network mode \u2018awsvpc\u2019.",
      },
    ]);
    it("accepts what Fargate allows: SYS_PTRACE, dropped capabilities, initProcessEnabled, ulimits, systemControls", () => {
      const td = build(
        fargate({}, [
          {
            name: "app",
            image: "nginx",
            linuxParameters: {
              capabilities: { add: ["SYS_PTRACE"], drop: ["ALL"] },
              initProcessEnabled: true,
            },
            ulimits: [{ name: "nofile", softLimit: 4096, hardLimit: 8192 }],
            systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }],
            privileged: false,
            disableNetworking: false,
          },
        ]),
      );
      assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
    });
    it("allows the host-level features Fargate refuses when FARGATE is not required", () => {
      for (const c of hostLevelFeatures()) {
        const req = c.req as { containerDefinitions: Req[]; volumes?: Req[] };
        const td = build(
          ec2(
            { volumes: req.volumes },
            req.containerDefinitions.map((x) => ({ memory: 128, ...x })),
          ),
        );
        assert.deepEqual(td.compatibilities, ["EC2"], c.name);
      }
    });
    it("accepts pidMode task, a host volume without a source path, and the three log drivers", () => {
      for (const logDriver of ["awslogs", "splunk", "awsfirelens"]) {
        const td = build(
          fargate({ pidMode: "task", volumes: [{ name: "scratch", host: {} }] }, [
            { name: "app", image: "nginx", logConfiguration: { logDriver } },
          ]),
        );
        assert.equal(td.pidMode, "task");
      }
    });
    it("does not require container memory when the task has memory", () => {
      const td = build(fargate());
      assert.equal(td.containerDefinitions[0]!.memory, undefined);
    });
  });

  describe("volumes", () => {
    table([
      {
        name: "volume name with a space",
        req: ec2({ volumes: [{ name: "my vol", host: {} }] }),
        code: CLIENT,
        message: "Volume.name contains invalid characters.",
      },
      {
        name: "volume without a name",
        req: ec2({ volumes: [{ host: {} }] }),
        code: CLIENT,
        message: "Volume.name contains invalid characters.",
      },
      {
        name: "duplicate volume names",
        req: ec2({ volumes: [{ name: "v" }, { name: "v" }] }),
        code: CLIENT,
        message: "Volume names must be unique within a Task Definition.",
      },
      {
        name: "volume of two kinds",
        req: ec2({ volumes: [{ name: "v", host: {}, dockerVolumeConfiguration: {} }] }),
        code: CLIENT,
        message:
          "Volume 'v' may set only one of host, dockerVolumeConfiguration, efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration.",
      },
      {
        name: "unknown docker volume scope",
        req: ec2({ volumes: [{ name: "v", dockerVolumeConfiguration: { scope: "global" } }] }),
        code: INVALID,
        message: "dockerVolumeConfiguration.scope should be one of [task,shared]",
      },
    ]);
  });

  describe("container memory and cpu", () => {
    table([
      {
        name: "neither memory nor memoryReservation without task memory",
        req: ec2({}, [C({ memory: undefined })]),
        code: CLIENT,
        message:
          "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
      },
      {
        name: "container memory below 6 MiB",
        req: ec2({}, [C({ memory: 4 })]),
        code: CLIENT,
        message: "Invalid 'memory' setting for container 'app'. The minimum is 6 MiB.",
      },
      {
        name: "container memoryReservation below 6 MiB",
        req: ec2({}, [C({ memory: undefined, memoryReservation: 5 })]),
        code: CLIENT,
        message: "Invalid 'memoryReservation' setting for container 'app'. The minimum is 6 MiB.",
      },
      {
        name: "memory below memoryReservation",
        req: ec2({}, [C({ memory: 128, memoryReservation: 256 })]),
        code: CLIENT,
        message:
          "Invalid setting for container 'app'. 'memory' must be greater than or equal to 'memoryReservation'.",
      },
      {
        name: "container memory above task memory",
        req: ec2({ memory: "512" }, [C({ memory: 1024 })]),
        code: CLIENT,
        message: "The 'memory' setting for container 'app' is greater than for the task.",
      },
      {
        name: "negative container cpu",
        req: ec2({}, [C({ cpu: -1 })]),
        code: CLIENT,
        message: "Invalid 'cpu' setting for container 'app'.",
      },
      {
        name: "fractional container cpu",
        req: ec2({}, [C({ cpu: 1.5 })]),
        code: CLIENT,
        message: "Invalid 'cpu' setting for container 'app'.",
      },
      {
        name: "container cpu adds up to more than the task cpu",
        req: ec2({ cpu: "256" }, [C({ cpu: 200 }), C({ name: "side", cpu: 100 })]),
        code: CLIENT,
        message: "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.",
      },
      {
        name: "memoryReservation adds up to more than the task memory",
        req: ec2({ memory: "512" }, [
          C({ memory: undefined, memoryReservation: 300 }),
          C({ name: "side", memory: undefined, memoryReservation: 300 }),
        ]),
        code: CLIENT,
        message:
          "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.",
      },
      {
        name: "hard memory counts as the reservation when none is given",
        req: ec2({ memory: "512" }, [C({ memory: 300 }), C({ name: "side", memory: 300 })]),
        code: CLIENT,
        message:
          "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.",
      },
    ]);
    it("accepts memoryReservation alone, memory equal to memoryReservation, and sums equal to the task", () => {
      build(ec2({}, [C({ memory: undefined, memoryReservation: 64 })]));
      build(ec2({}, [C({ memory: 64, memoryReservation: 64 })]));
      build(
        ec2({ cpu: "256", memory: "512" }, [
          C({ cpu: 128, memory: undefined, memoryReservation: 256 }),
          C({ name: "side", cpu: 128, memory: 512, memoryReservation: 256 }),
        ]),
      );
    });
  });

  describe("links and port mappings", () => {
    table([
      {
        name: "links with awsvpc",
        req: ec2({ networkMode: "awsvpc" }, [C({ links: ["db"] }), C({ name: "db" })]),
        code: CLIENT,
        message: "Links are not supported when networkMode=awsvpc.",
      },
      {
        name: "links with host",
        req: ec2({ networkMode: "host" }, [C({ links: ["db"] }), C({ name: "db" })]),
        code: CLIENT,
        message: "Links are not supported when networkMode=host.",
      },
      {
        name: "port mappings with networkMode none",
        req: ec2({ networkMode: "none" }, [C({ portMappings: [{ containerPort: 80 }] })]),
        code: CLIENT,
        message: "Port mappings are not supported when networkMode=none (container 'app').",
      },
      {
        name: "unknown protocol",
        req: ec2({}, [C({ portMappings: [{ containerPort: 80, protocol: "sctp" }] })]),
        code: INVALID,
        message: "portMappings.protocol should be one of [tcp,udp]",
      },
      {
        name: "unknown appProtocol",
        req: ec2({}, [C({ portMappings: [{ containerPort: 80, appProtocol: "ftp" }] })]),
        code: INVALID,
        message: "portMappings.appProtocol should be one of [http,http2,grpc]",
      },
      {
        name: "containerPortRange with host networking",
        req: ec2({ networkMode: "host" }, [C({ portMappings: [{ containerPortRange: "8000-8010" }] })]),
        code: CLIENT,
        message:
          "containerPortRange is only supported when networkMode=bridge or networkMode=awsvpc (container 'app').",
      },
      ...["8010-8000", "8000-8000", "abc", "0-10", "1-65536", "8000"].map((range) => ({
        name: `containerPortRange "${range}"`,
        req: ec2({}, [C({ portMappings: [{ containerPortRange: range }] })]),
        code: CLIENT,
        message: "Invalid 'containerPortRange' setting for container 'app'.",
      })),
      {
        name: "containerPortRange with containerPort",
        req: ec2({}, [C({ portMappings: [{ containerPortRange: "8000-8010", containerPort: 8000 }] })]),
        code: CLIENT,
        message:
          "When containerPortRange is set, containerPort and hostPort must not be set (container 'app').",
      },
      {
        name: "containerPortRange with hostPort",
        req: ec2({}, [C({ portMappings: [{ containerPortRange: "8000-8010", hostPort: 8000 }] })]),
        code: CLIENT,
        message:
          "When containerPortRange is set, containerPort and hostPort must not be set (container 'app').",
      },
      ...[undefined, 0, 65536, 80.5].map((containerPort) => ({
        name: `containerPort ${containerPort}`,
        req: ec2({}, [C({ portMappings: [{ containerPort }] })]),
        code: CLIENT,
        message: "Invalid 'containerPort' setting for container 'app'.",
      })),
      {
        name: "awsvpc host port differing from the container port",
        req: ec2({ networkMode: "awsvpc" }, [C({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })]),
        code: CLIENT,
        message: "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
      },
      {
        name: "host-mode host port differing from the container port",
        req: ec2({ networkMode: "host" }, [C({ portMappings: [{ containerPort: 80, hostPort: 8080 }] })]),
        code: CLIENT,
        message: "When networkMode=host, the host ports and container ports in port mappings must match.",
      },
      ...[-1, 65536].map((hostPort) => ({
        name: `bridge hostPort ${hostPort}`,
        req: ec2({}, [C({ portMappings: [{ containerPort: 80, hostPort }] })]),
        code: CLIENT,
        message: "Invalid 'hostPort' setting for container 'app'.",
      })),
      {
        name: "a TCP host port mapped twice in the task",
        req: ec2({}, [
          C({ portMappings: [{ containerPort: 80, hostPort: 3000 }] }),
          C({ name: "side", portMappings: [{ containerPort: 81, hostPort: 3000 }] }),
        ]),
        code: CLIENT,
        message: "TCP host port '3000' is mapped multiple times in task.",
      },
      {
        name: "a UDP host port mapped twice in one container",
        req: ec2({}, [
          C({
            portMappings: [
              { containerPort: 53, hostPort: 53, protocol: "udp" },
              { containerPort: 54, hostPort: 53, protocol: "udp" },
            ],
          }),
        ]),
        code: CLIENT,
        message: "UDP host port '53' is mapped multiple times in task.",
      },
      {
        name: "awsvpc containers sharing a container port",
        req: ec2({ networkMode: "awsvpc" }, [
          C({ portMappings: [{ containerPort: 80 }] }),
          C({ name: "side", portMappings: [{ containerPort: 80 }] }),
        ]),
        code: CLIENT,
        message: "TCP host port '80' is mapped multiple times in task.",
      },
    ]);
    it("allows the same host port for TCP and UDP, dynamic ports many times, and links in bridge mode", () => {
      build(
        ec2({ networkMode: "bridge" }, [
          C({
            links: ["db"],
            portMappings: [
              { containerPort: 53, hostPort: 53, protocol: "tcp" },
              { containerPort: 53, hostPort: 53, protocol: "udp" },
              { containerPort: 80 },
              { containerPort: 81, hostPort: 0 },
            ],
          }),
          C({ name: "db", portMappings: [{ containerPort: 80 }] }),
        ]),
      );
    });
  });

  describe("mount points, volumesFrom, ulimits, logging, secrets, environment", () => {
    table([
      {
        name: "mount point naming an unknown volume",
        req: ec2({}, [C({ mountPoints: [{ sourceVolume: "nope", containerPath: "/data" }] })]),
        code: CLIENT,
        message: "Invalid 'mountPoints' setting for container 'app'. Unknown volume 'nope'.",
      },
      {
        name: "mount point without a source volume",
        req: ec2({}, [C({ mountPoints: [{ containerPath: "/data" }] })]),
        code: CLIENT,
        message: "Invalid 'mountPoints' setting for container 'app'. Unknown volume ''.",
      },
      {
        name: "mount point without a container path",
        req: ec2({ volumes: [{ name: "data" }] }, [C({ mountPoints: [{ sourceVolume: "data" }] })]),
        code: CLIENT,
        message:
          "Invalid 'mountPoints' setting for container 'app'. containerPath should not be null or empty.",
      },
      {
        name: "volumesFrom an unknown container",
        req: ec2({}, [C({ volumesFrom: [{ sourceContainer: "ghost" }] })]),
        code: CLIENT,
        message: "Invalid 'volumesFrom' setting for container 'app'. Unknown container 'ghost'.",
      },
      {
        name: "volumesFrom itself",
        req: ec2({}, [C({ volumesFrom: [{ sourceContainer: "app" }] })]),
        code: CLIENT,
        message: "Invalid 'volumesFrom' setting for container 'app'. Unknown container 'app'.",
      },
      {
        name: "unknown ulimit",
        req: ec2({}, [C({ ulimits: [{ name: "memory", softLimit: 1, hardLimit: 1 }] })]),
        code: CLIENT,
        message: "Unrecognized ulimit name memory",
      },
      {
        name: "unknown log driver",
        req: ec2({}, [C({ logConfiguration: { logDriver: "loki" } })]),
        code: INVALID,
        message:
          "logConfiguration.logDriver should be one of [awsfirelens,awslogs,fluentd,gelf,journald,json-file,splunk,syslog]",
      },
      {
        name: "secret without valueFrom",
        req: ec2({}, [C({ secrets: [{ name: "TOKEN" }] })]),
        code: CLIENT,
        message: "Invalid 'secrets' setting for container 'app'. name and valueFrom are required.",
      },
      {
        name: "environment variable without a name",
        req: ec2({}, [C({ environment: [{ value: "x" }] })]),
        code: CLIENT,
        message:
          "Invalid 'environment' setting for container 'app'. Environment variable names should not be null or empty.",
      },
    ]);
    it("accepts volumesFrom another container and a mount of a declared volume", () => {
      build(
        ec2({ volumes: [{ name: "data" }] }, [
          C({ mountPoints: [{ sourceVolume: "data", containerPath: "/data" }] }),
          C({ name: "side", volumesFrom: [{ sourceContainer: "app" }] }),
        ]),
      );
    });
  });

  describe("healthCheck", () => {
    const hc = (h: Req) => ec2({}, [C({ healthCheck: { command: ["CMD", "true"], ...h } })]);
    table([
      {
        name: "empty command",
        req: hc({ command: [] }),
        code: CLIENT,
        message: "Invalid 'healthCheck' setting for container 'app'. command should not be null or empty.",
      },
      ...[4, 301].map((interval) => ({
        name: `interval ${interval}`,
        req: hc({ interval }),
        code: CLIENT,
        message: "Invalid 'healthCheck.interval' for container 'app'. It must be between 5 and 300 seconds.",
      })),
      ...[1, 61].map((timeout) => ({
        name: `timeout ${timeout}`,
        req: hc({ timeout }),
        code: CLIENT,
        message: "Invalid 'healthCheck.timeout' for container 'app'. It must be between 2 and 60 seconds.",
      })),
      ...[0, 11].map((retries) => ({
        name: `retries ${retries}`,
        req: hc({ retries }),
        code: CLIENT,
        message: "Invalid 'healthCheck.retries' for container 'app'. It must be between 1 and 10.",
      })),
      ...[-1, 301].map((startPeriod) => ({
        name: `startPeriod ${startPeriod}`,
        req: hc({ startPeriod }),
        code: CLIENT,
        message:
          "Invalid 'healthCheck.startPeriod' for container 'app'. It must be between 0 and 300 seconds.",
      })),
    ]);
    it("accepts the ends of each range", () => {
      build(hc({ interval: 5, timeout: 2, retries: 1, startPeriod: 0 }));
      build(hc({ interval: 300, timeout: 60, retries: 10, startPeriod: 300 }));
    });
  });

  describe("dependsOn", () => {
    const pair = (dep: Req, target: Req = {}) =>
      ec2({}, [C({ dependsOn: [dep] }), C({ name: "db", essential: false, ...target })]);
    table([
      {
        name: "an unknown container",
        req: pair({ containerName: "ghost", condition: "START" }),
        code: CLIENT,
        message: "Invalid 'dependsOn' setting for container 'app'. Unknown container 'ghost'.",
      },
      {
        name: "itself",
        req: pair({ containerName: "app", condition: "START" }),
        code: CLIENT,
        message: "Invalid 'dependsOn' setting for container 'app'. Unknown container 'app'.",
      },
      {
        name: "an unknown condition",
        req: pair({ containerName: "db", condition: "READY" }),
        code: INVALID,
        message: "dependsOn.condition should be one of [COMPLETE,HEALTHY,START,SUCCESS]",
      },
      ...["SUCCESS", "COMPLETE"].map((condition) => ({
        name: `${condition} on an essential container`,
        req: pair({ containerName: "db", condition }, { essential: true }),
        code: CLIENT,
        message: "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container",
      })),
      {
        name: "COMPLETE on a container whose essential is omitted (so true)",
        req: pair({ containerName: "db", condition: "COMPLETE" }, { essential: undefined }),
        code: CLIENT,
        message: "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container",
      },
      {
        name: "HEALTHY on a container without a healthCheck",
        req: pair({ containerName: "db", condition: "HEALTHY" }),
        code: CLIENT,
        message: "Container 'app' depends on 'db' being HEALTHY, but 'db' has no healthCheck.",
      },
      {
        name: "a cycle",
        req: ec2({}, [
          C({ name: "a", dependsOn: [{ containerName: "b", condition: "START" }] }),
          C({ name: "b", dependsOn: [{ containerName: "c", condition: "START" }] }),
          C({ name: "c", dependsOn: [{ containerName: "a", condition: "START" }] }),
        ]),
        code: CLIENT,
        message: "Invalid 'dependsOn' setting: containers depend on each other in a cycle involving 'a'.",
      },
    ]);
    it("accepts START, HEALTHY (with a healthCheck), SUCCESS and COMPLETE on non-essential containers", () => {
      for (const condition of ["START", "HEALTHY", "SUCCESS", "COMPLETE"]) {
        build(pair({ containerName: "db", condition }, { healthCheck: { command: ["CMD", "true"] } }));
      }
    });
    it("accepts a diamond (shared dependency without a cycle)", () => {
      build(
        ec2({}, [
          C({
            name: "a",
            dependsOn: [
              { containerName: "b", condition: "START" },
              { containerName: "c", condition: "START" },
            ],
          }),
          C({ name: "b", dependsOn: [{ containerName: "d", condition: "START" }] }),
          C({ name: "c", dependsOn: [{ containerName: "d", condition: "START" }] }),
          C({ name: "d" }),
        ]),
      );
    });
  });

  describe("placement constraints and ephemeral storage", () => {
    const constraint = { type: "memberOf", expression: "attribute:ecs.os-type == linux" };
    table([
      {
        name: "eleven placement constraints",
        req: ec2({ placementConstraints: Array.from({ length: 11 }, () => constraint) }),
        code: CLIENT,
        message: "Too many placement constraints.",
      },
      {
        name: "placement constraint of another type",
        req: ec2({ placementConstraints: [{ type: "distinctInstance" }] }),
        code: INVALID,
        message: "placementConstraints.type should be one of [memberOf]",
      },
      ...[20, 201, 30.5].map((sizeInGiB) => ({
        name: `ephemeral storage of ${sizeInGiB} GiB`,
        req: ec2({ ephemeralStorage: { sizeInGiB } }),
        code: CLIENT,
        message: "The ephemeral storage size must be between 21 and 200 GiB.",
      })),
    ]);
    it("accepts ten constraints and 21..200 GiB", () => {
      build(ec2({ placementConstraints: Array.from({ length: 10 }, () => constraint) }));
      assert.deepEqual(build(ec2({ ephemeralStorage: { sizeInGiB: 21 } })).ephemeralStorage, {
        sizeInGiB: 21,
      });
      assert.deepEqual(build(ec2({ ephemeralStorage: { sizeInGiB: 200 } })).ephemeralStorage, {
        sizeInGiB: 200,
      });
    });
  });

  describe("first violation wins", () => {
    table([
      {
        name: "family before everything else",
        req: { family: "bad family", cpu: "lots", containerDefinitions: [] },
        code: CLIENT,
        message: "Family contains invalid characters.",
      },
      {
        name: "task size before containers",
        req: ec2({ cpu: "lots" }, []),
        code: INVALID,
        message: "Invalid 'cpu' setting for task.",
      },
      {
        name: "the first container's problem before the second's",
        req: ec2({}, [C({ image: "bad image" }), C({ name: "bad name" })]),
        code: CLIENT,
        message: "Invalid image name for container 'app': bad image",
      },
      {
        name: "a missing essential container before Fargate's rules",
        req: fargate({ cpu: undefined }, [{ name: "app", image: "nginx", essential: false }]),
        code: CLIENT,
        message: "Task definition doesn't have any essential container.",
      },
      {
        name: "Fargate's network mode before its cpu",
        req: fargate({ networkMode: "host", cpu: undefined, memory: undefined }),
        code: CLIENT,
        message: "Fargate only supports network mode \u2018awsvpc\u2019.",
      },
      {
        name: "Fargate's size before its other rules",
        req: fargate({
          cpu: "256",
          memory: "4096",
          ipcMode: "task",
          placementConstraints: [{ type: "memberOf" }],
        }),
        code: CLIENT,
        message:
          "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.",
      },
      {
        name: "volumes before container settings",
        req: ec2({ volumes: [{ name: "v" }, { name: "v" }] }, [C({ memory: 1 })]),
        code: CLIENT,
        message: "Volume names must be unique within a Task Definition.",
      },
      {
        name: "container memory before its port mappings",
        req: ec2({}, [C({ memory: undefined, portMappings: [{ containerPort: 0 }] })]),
        code: CLIENT,
        message:
          "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
      },
      {
        name: "per-container checks before dependsOn",
        req: ec2({}, [
          C({ dependsOn: [{ containerName: "ghost", condition: "START" }] }),
          C({ name: "side", ulimits: [{ name: "memory", softLimit: 1, hardLimit: 1 }] }),
        ]),
        code: CLIENT,
        message: "Unrecognized ulimit name memory",
      },
      {
        name: "dependsOn before the cpu sum",
        req: ec2({ cpu: "128" }, [
          C({ cpu: 256, dependsOn: [{ containerName: "ghost", condition: "START" }] }),
        ]),
        code: CLIENT,
        message: "Invalid 'dependsOn' setting for container 'app'. Unknown container 'ghost'.",
      },
    ]);
  });
});

describe("buildTaskDefinition: output", () => {
  it("fills ECS's defaults into a minimal definition and adds nothing else", () => {
    const td = build(ec2());
    assert.deepEqual(td, {
      taskDefinitionArn: FACTS.arn,
      containerDefinitions: [
        {
          name: "app",
          image: "nginx",
          cpu: 0,
          memory: 128,
          portMappings: [],
          essential: true,
          environment: [],
          mountPoints: [],
          volumesFrom: [],
        },
      ],
      family: "web",
      revision: 1,
      volumes: [],
      status: "ACTIVE",
      placementConstraints: [],
      compatibilities: ["EC2"],
      registeredAt: FACTS.registeredAt,
      registeredBy: FACTS.registeredBy,
      enableFaultInjection: false,
    });
  });

  it("keeps what was sent instead of the defaults", () => {
    const sent = {
      name: "app",
      image: "nginx",
      cpu: 10,
      memory: 128,
      portMappings: [{ containerPort: 80, hostPort: 8080, protocol: "udp" }],
      essential: true,
      environment: [{ name: "A", value: "1" }],
      mountPoints: [{ sourceVolume: "v", containerPath: "/v", readOnly: true }],
      volumesFrom: [{ sourceContainer: "side", readOnly: false }],
    };
    const td = build(
      ec2({ volumes: [{ name: "v" }] }, [sent, C({ name: "side", essential: false, cpu: 5 })]),
    );
    assert.deepEqual(td.containerDefinitions[0], sent);
    assert.equal(td.containerDefinitions[1]!.essential, false);
    assert.equal(td.containerDefinitions[1]!.cpu, 5);
    assert.deepEqual(td.volumes, [{ name: "v" }]);
  });

  it("omits networkMode, roles, cpu, memory and the optional task members when they are not sent", () => {
    const td = build(ec2({ taskRoleArn: "", executionRoleArn: "" }));
    for (const key of [
      "networkMode",
      "taskRoleArn",
      "executionRoleArn",
      "cpu",
      "memory",
      "requiresCompatibilities",
      "requiresAttributes",
      "runtimePlatform",
      "pidMode",
      "ipcMode",
      "proxyConfiguration",
      "inferenceAccelerators",
      "ephemeralStorage",
      "deregisteredAt",
      "deleteRequestedAt",
    ]) {
      assert.equal(key in td, false, `${key} should be absent`);
    }
  });

  it("returns the optional task members that were sent", () => {
    const td = build(
      ec2({
        taskRoleArn: "arn:aws:iam::000000000000:role/task",
        executionRoleArn: "arn:aws:iam::000000000000:role/exec",
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
        pidMode: "task",
        ipcMode: "none",
        ephemeralStorage: { sizeInGiB: 30 },
        enableFaultInjection: true,
      }),
    );
    assert.equal(td.taskRoleArn, "arn:aws:iam::000000000000:role/task");
    assert.equal(td.executionRoleArn, "arn:aws:iam::000000000000:role/exec");
    assert.equal(td.networkMode, "bridge");
    assert.deepEqual(td.requiresCompatibilities, ["EC2"]);
    assert.deepEqual(td.runtimePlatform, { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" });
    assert.equal(td.pidMode, "task");
    assert.equal(td.ipcMode, "none");
    assert.deepEqual(td.ephemeralStorage, { sizeInGiB: 30 });
    assert.equal(td.enableFaultInjection, true);
  });

  describe("port mapping defaults", () => {
    const cases: { mode: string | undefined; sent: Req; want: Req }[] = [
      {
        mode: undefined,
        sent: { containerPort: 80 },
        want: { containerPort: 80, hostPort: 0, protocol: "tcp" },
      },
      {
        mode: "bridge",
        sent: { containerPort: 80 },
        want: { containerPort: 80, hostPort: 0, protocol: "tcp" },
      },
      {
        mode: "bridge",
        sent: { containerPort: 80, hostPort: 8080, protocol: "udp" },
        want: { containerPort: 80, hostPort: 8080, protocol: "udp" },
      },
      {
        mode: "awsvpc",
        sent: { containerPort: 80 },
        want: { containerPort: 80, hostPort: 80, protocol: "tcp" },
      },
      {
        mode: "awsvpc",
        sent: { containerPort: 80, hostPort: 0 },
        want: { containerPort: 80, hostPort: 80, protocol: "tcp" },
      },
      {
        mode: "awsvpc",
        sent: { containerPort: 80, hostPort: 80 },
        want: { containerPort: 80, hostPort: 80, protocol: "tcp" },
      },
      {
        mode: "host",
        sent: { containerPort: 53 },
        want: { containerPort: 53, hostPort: 53, protocol: "tcp" },
      },
      {
        mode: "bridge",
        sent: { containerPort: 80, name: "http", appProtocol: "http2" },
        want: { containerPort: 80, hostPort: 0, protocol: "tcp", name: "http", appProtocol: "http2" },
      },
      {
        mode: "awsvpc",
        sent: { containerPortRange: "8000-8010" },
        want: { containerPortRange: "8000-8010", protocol: "tcp" },
      },
    ];
    for (const { mode, sent, want } of cases) {
      it(`networkMode ${mode ?? "(omitted)"}: ${JSON.stringify(sent)}`, () => {
        const td = build(ec2(mode ? { networkMode: mode } : {}, [C({ portMappings: [sent] })]));
        assert.deepEqual(td.containerDefinitions[0]!.portMappings, [want]);
      });
    }
  });

  it("fills healthCheck interval, timeout and retries but not startPeriod", () => {
    const td = build(ec2({}, [C({ healthCheck: { command: ["CMD-SHELL", "true"] } })]));
    assert.deepEqual(td.containerDefinitions[0]!.healthCheck, {
      command: ["CMD-SHELL", "true"],
      interval: 30,
      timeout: 5,
      retries: 3,
    });
    const full = { command: ["CMD", "x"], interval: 10, timeout: 2, retries: 1, startPeriod: 0 };
    assert.deepEqual(build(ec2({}, [C({ healthCheck: full })])).containerDefinitions[0]!.healthCheck, full);
  });

  describe("task cpu and memory strings become integer strings", () => {
    const cases: [Req, string, string][] = [
      [{ cpu: "1024", memory: "2048" }, "1024", "2048"],
      [{ cpu: "1 vCPU", memory: "2 GB" }, "1024", "2048"],
      [{ cpu: "1 vcpu", memory: "2GB" }, "1024", "2048"],
      [{ cpu: "2VCPU", memory: "2gb" }, "2048", "2048"],
      [{ cpu: "0.25 vcpu", memory: "0.5 GB" }, "256", "512"],
      [{ cpu: "0.5 vCPU", memory: "1 GB" }, "512", "1024"],
    ];
    for (const [sent, cpu, memory] of cases) {
      it(`${sent.cpu} / ${sent.memory}`, () => {
        const td = build(ec2(sent));
        assert.equal(td.cpu, cpu);
        assert.equal(td.memory, memory);
      });
    }
    it("converts before checking Fargate sizes", () => {
      const td = build(fargate({ cpu: "0.25 vCPU", memory: "0.5GB" }));
      assert.deepEqual([td.cpu, td.memory], ["256", "512"]);
    });
  });

  describe("compatibilities", () => {
    const cases: [string[] | undefined, string[]][] = [
      [undefined, ["EC2"]],
      [["EC2"], ["EC2"]],
      [["FARGATE"], ["EC2", "FARGATE"]],
      [
        ["EC2", "FARGATE"],
        ["EC2", "FARGATE"],
      ],
      [["EXTERNAL"], ["EC2", "EXTERNAL"]],
      [
        ["FARGATE", "EXTERNAL"],
        ["EC2", "EXTERNAL", "FARGATE"],
      ],
    ];
    for (const [requires, want] of cases) {
      it(`requiresCompatibilities ${JSON.stringify(requires)} → ${JSON.stringify(want)}`, () => {
        const req = requires?.includes("FARGATE")
          ? fargate({ requiresCompatibilities: requires })
          : ec2(requires ? { requiresCompatibilities: requires } : {});
        const td = build(req);
        assert.deepEqual(td.compatibilities, want);
        if (requires) assert.deepEqual(td.requiresCompatibilities, requires);
        else assert.equal("requiresCompatibilities" in td, false);
      });
    }
  });
});

describe("buildTaskDefinition: the Fargate size table", () => {
  // docs/research/ecs-taskdef.md §3.1, from the API reference.
  const steps = (from: number, to: number, step: number) =>
    Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  const SIZES: [number, number[]][] = [
    [256, [512, 1024, 2048]],
    [512, [1024, 2048, 3072, 4096]],
    [1024, steps(2048, 8192, 1024)],
    [2048, steps(4096, 16384, 1024)],
    [4096, steps(8192, 30720, 1024)],
    [8192, steps(16384, 61440, 4096)],
    [16384, steps(32768, 122880, 8192)],
  ];
  const valid = new Set(SIZES.flatMap(([cpu, mems]) => mems.map((m) => `${cpu}/${m}`)));

  it("accepts every combination in the table", () => {
    let n = 0;
    for (const [cpu, mems] of SIZES) {
      for (const memory of mems) {
        const td = build(fargate({ cpu: String(cpu), memory: String(memory) }));
        assert.deepEqual([td.cpu, td.memory], [String(cpu), String(memory)]);
        n++;
      }
    }
    assert.equal(n, 3 + 4 + 7 + 13 + 23 + 12 + 12);
  });

  it("rejects the neighbours of every row", () => {
    const tried = new Set<string>();
    for (const [cpu, mems] of SIZES) {
      const lo = mems[0]!;
      const hi = mems[mems.length - 1]!;
      const step = mems.length > 1 ? mems[1]! - lo : 512;
      for (const memory of [lo - step, lo - 1, lo + 1, lo + step / 2, hi + 1, hi + step, hi + 1024]) {
        if (valid.has(`${cpu}/${memory}`) || memory < 6) continue;
        tried.add(`${cpu}/${memory}`);
        rejects(
          fargate({ cpu: String(cpu), memory: String(memory) }),
          CLIENT,
          `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
        );
      }
    }
    // Memory sizes that are valid with some cpu, paired with a cpu that is not in the table.
    for (const cpu of [128, 384, 768, 1536, 3072, 6144, 12288]) {
      const memory = Math.max(cpu * 2, 512);
      tried.add(`${cpu}/${memory}`);
      rejects(
        fargate({ cpu: String(cpu), memory: String(memory) }),
        CLIENT,
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
    }
    assert.ok(tried.size > 40);
  });

  it("rejects a memory size that belongs to another cpu row", () => {
    rejects(
      fargate({ cpu: "256", memory: "4096" }),
      CLIENT,
      "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.",
    );
    rejects(
      fargate({ cpu: "16384", memory: "16384" }),
      CLIENT,
      "No Fargate configuration exists for given values: 16384 CPU, 16384 memory. See the Amazon ECS documentation for the valid values.",
    );
  });
});

describe("buildTaskDefinition: requiresAttributes", () => {
  const L = "com.amazonaws.ecs.capability.";
  const E = "ecs.capability.";
  const api = (v: string) => `${L}docker-remote-api.${v}`;
  const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";
  const EXEC = "arn:aws:iam::123456789012:role/exec";
  const TASK = "arn:aws:iam::123456789012:role/task";

  const cases: { name: string; req: Req; want: string[] }[] = [
    { name: "plain Docker Hub image and task size", req: ec2({ cpu: "256", memory: "512" }), want: [] },
    {
      name: "Fargate awsvpc (fargate-game example)",
      req: fargate(),
      want: [api("1.18"), `${E}task-eni`],
    },
    { name: "task role", req: ec2({ taskRoleArn: TASK }), want: [`${L}task-iam-role`] },
    {
      name: "task role with host networking",
      req: ec2({ taskRoleArn: TASK, networkMode: "host" }),
      want: [`${L}task-iam-role`, `${L}task-iam-role-network-host`],
    },
    { name: "ECR image", req: ec2({}, [C({ image: ECR })]), want: [`${L}ecr-auth`] },
    {
      name: "ECR image with an execution role",
      req: ec2({ executionRoleArn: EXEC }, [C({ image: ECR })]),
      want: [`${L}ecr-auth`, `${E}execution-role-ecr-pull`],
    },
    {
      name: "awslogs without options",
      req: ec2({}, [C({ logConfiguration: { logDriver: "awslogs" } })]),
      want: [api("1.18"), `${L}logging-driver.awslogs`],
    },
    {
      name: "awslogs with options, create-group, mode and an execution role",
      req: ec2({ executionRoleArn: EXEC }, [
        C({
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "g", "awslogs-create-group": "true", mode: "non-blocking" },
          },
        }),
      ]),
      want: [
        api("1.18"),
        api("1.19"),
        api("1.28"),
        api("1.29"),
        `${L}logging-driver.awslogs`,
        `${E}execution-role-awslogs`,
      ],
    },
    {
      name: "log driver secret options from SSM and Secrets Manager",
      req: ec2({}, [
        C({
          logConfiguration: {
            logDriver: "splunk",
            secretOptions: [
              { name: "splunk-token", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:t" },
              { name: "other", valueFrom: "/param/name" },
            ],
          },
        }),
      ]),
      want: [
        api("1.18"),
        `${L}logging-driver.splunk`,
        `${E}secrets.asm.bootstrap.log-driver`,
        `${E}secrets.ssm.bootstrap.log-driver`,
      ],
    },
    {
      name: "ulimits and dockerLabels",
      req: ec2({}, [
        C({ ulimits: [{ name: "nofile", softLimit: 1024, hardLimit: 2048 }] }),
        C({ name: "side", dockerLabels: { a: "b" } }),
      ]),
      want: [api("1.18")],
    },
    {
      name: "memoryReservation",
      req: ec2({}, [C({ memory: undefined, memoryReservation: 64 })]),
      want: [api("1.21")],
    },
    {
      name: "healthCheck without startPeriod",
      req: ec2({}, [C({ healthCheck: { command: ["CMD", "true"] } })]),
      want: [`${E}container-health-check`],
    },
    {
      name: "healthCheck with startPeriod",
      req: ec2({}, [C({ healthCheck: { command: ["CMD", "true"], startPeriod: 10 } })]),
      want: [`${E}container-health-check`, api("1.29")],
    },
    {
      name: "initProcessEnabled",
      req: ec2({}, [C({ linuxParameters: { initProcessEnabled: true } })]),
      want: [api("1.25")],
    },
    {
      name: "stopTimeout",
      req: ec2({}, [C({ stopTimeout: 30 })]),
      want: [api("1.25"), `${E}container-ordering`],
    },
    { name: "startTimeout", req: ec2({}, [C({ startTimeout: 30 })]), want: [`${E}container-ordering`] },
    {
      name: "dependsOn",
      req: ec2({}, [C({ dependsOn: [{ containerName: "side", condition: "START" }] }), C({ name: "side" })]),
      want: [`${E}container-ordering`],
    },
    {
      name: "secrets from SSM (ARN and bare name) and Secrets Manager",
      req: ec2({}, [
        C({
          secrets: [
            { name: "A", valueFrom: "arn:aws:ssm:us-east-1:123456789012:parameter/a" },
            { name: "B", valueFrom: "b-param" },
            { name: "C", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:c" },
          ],
        }),
      ]),
      want: [`${E}secrets.ssm.environment-variables`, `${E}secrets.asm.environment-variables`],
    },
    {
      name: "repositoryCredentials",
      req: ec2({}, [
        C({ repositoryCredentials: { credentialsParameter: "arn:aws:secretsmanager:us-east-1:1:secret:x" } }),
      ]),
      want: [`${E}private-registry-authentication.secretsmanager`],
    },
    {
      name: "EFS volume, plain",
      req: ec2({ volumes: [{ name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1" } }] }),
      want: [`${E}efs`],
    },
    {
      name: "EFS volume with transit encryption",
      req: ec2({
        volumes: [
          { name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1", transitEncryption: "ENABLED" } },
        ],
      }),
      want: [`${E}efs`, `${E}efsAuth`],
    },
    {
      name: "FireLens with fluentbit",
      req: ec2({}, [
        C({ firelensConfiguration: { type: "fluentbit" } }),
        C({ name: "side", logConfiguration: { logDriver: "awsfirelens" } }),
      ]),
      want: [
        `${E}firelens.fluentbit`,
        `${E}container-ordering`,
        api("1.18"),
        `${L}logging-driver.awsfirelens`,
      ],
    },
    {
      name: "App Mesh proxy configuration",
      req: ec2({ networkMode: "awsvpc", proxyConfiguration: { type: "APPMESH", containerName: "app" } }),
      want: [`${E}aws-appmesh`, `${E}task-eni`, api("1.18")],
    },
    {
      name: "environmentFiles",
      req: ec2({}, [C({ environmentFiles: [{ type: "s3", value: "arn:aws:s3:::bucket/app.env" }] })]),
      want: [`${E}env-files.s3`],
    },
    { name: "privileged", req: ec2({}, [C({ privileged: true })]), want: [`${L}privileged-container`] },
    { name: "pidMode", req: ec2({ pidMode: "task" }), want: [`${E}pid-ipc-namespace-sharing`] },
    { name: "ipcMode", req: ec2({ ipcMode: "host" }), want: [`${E}pid-ipc-namespace-sharing`] },
    {
      name: "docker volume with a plugin driver (local adds nothing)",
      req: ec2({
        volumes: [
          {
            name: "a",
            dockerVolumeConfiguration: { driver: "rexray/ebs", scope: "shared", autoprovision: true },
          },
          { name: "b", dockerVolumeConfiguration: { driver: "local", scope: "task" } },
        ],
      }),
      want: [`${E}docker-plugin.rexray/ebs`],
    },
    {
      name: "containerPortRange",
      req: ec2({}, [C({ portMappings: [{ containerPortRange: "8000-8010" }] })]),
      want: [`${E}network.container-port-range`],
    },
    {
      name: "restartPolicy",
      req: ec2({}, [C({ restartPolicy: { enabled: true } })]),
      want: [`${E}container-restart-policy`],
    },
    {
      name: "FSx for Windows File Server volume",
      req: ec2({
        volumes: [
          {
            name: "fsx",
            fsxWindowsFileServerVolumeConfiguration: {
              fileSystemId: "fs-1",
              rootDirectory: "share",
              authorizationConfig: { credentialsParameter: "arn", domain: "example.com" },
            },
          },
        ],
      }),
      want: [`${E}fsxWindowsFileServer`],
    },
    {
      name: "credentialSpecs (gMSA)",
      req: ec2({}, [C({ credentialSpecs: ["credentialspec:arn:aws:s3:::bucket/spec.json"] })]),
      want: [`${E}gmsa`],
    },
    {
      name: "inference accelerators",
      req: ec2({ inferenceAccelerators: [{ deviceName: "d1", deviceType: "eia2.medium" }] }),
      want: [`${E}task-eia`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const td = build(c.req);
      assert.deepEqual(attrs(td), sorted(c.want));
      if (c.want.length === 0) assert.equal("requiresAttributes" in td, false);
      for (const a of td.requiresAttributes ?? []) assert.deepEqual(Object.keys(a), ["name"]);
    });
  }
  it("lists each attribute once however many containers need it", () => {
    const td = build(
      ec2({}, [
        C({
          logConfiguration: { logDriver: "awslogs" },
          ulimits: [{ name: "nofile", softLimit: 1, hardLimit: 1 }],
        }),
        C({ name: "b", logConfiguration: { logDriver: "awslogs" } }),
      ]),
    );
    assert.deepEqual(attrs(td), sorted([api("1.18"), `${L}logging-driver.awslogs`]));
  });
});

describe("parseTaskCpu and parseTaskMemory", () => {
  const cpu: [string, number | undefined][] = [
    ["1024", 1024],
    ["128", 128],
    [" 512 ", 512],
    ["1 vCPU", 1024],
    ["1 vcpu", 1024],
    ["1vCPU", 1024],
    ["2 VCPU", 2048],
    ["0.25 vcpu", 256],
    ["0.5 vCPU", 512],
    ["16 vCPU", 16384],
    ["1024.0", 1024],
    ["", undefined],
    ["0", undefined],
    ["0 vCPU", undefined],
    ["-1", undefined],
    ["1.5", undefined],
    ["0.1 vCPU", undefined],
    ["one", undefined],
    ["1 cpu", undefined],
    ["1 GB", undefined],
  ];
  for (const [text, want] of cpu) {
    it(`cpu ${JSON.stringify(text)} → ${want}`, () => assert.equal(parseTaskCpu(text), want));
  }
  const memory: [string, number | undefined][] = [
    ["2048", 2048],
    ["512", 512],
    ["2 GB", 2048],
    ["2GB", 2048],
    ["2 gb", 2048],
    ["0.5 GB", 512],
    ["1 GiB", 1024],
    ["512 MiB", 512],
    ["512 MB", 512],
    [" 30720 ", 30720],
    ["", undefined],
    ["0", undefined],
    ["-512", undefined],
    ["0.3 GB", undefined],
    ["2 TB", undefined],
    ["two GB", undefined],
    ["1 vCPU", undefined],
  ];
  for (const [text, want] of memory) {
    it(`memory ${JSON.stringify(text)} → ${want}`, () => assert.equal(parseTaskMemory(text), want));
  }
});

describe("parseTaskDefinitionRef", () => {
  const scope = { region: "us-east-1", accountId: "000000000000" };
  const ok: [string, { family: string; revision?: number }][] = [
    ["web", { family: "web" }],
    ["web:3", { family: "web", revision: 3 }],
    ["web-api_2:10", { family: "web-api_2", revision: 10 }],
    ["arn:aws:ecs:us-east-1:000000000000:task-definition/web:3", { family: "web", revision: 3 }],
    ["arn:aws:ecs:us-east-1:000000000000:task-definition/web", { family: "web" }],
  ];
  for (const [ref, want] of ok) {
    it(`parses ${ref}`, () => assert.deepEqual(parseTaskDefinitionRef(scope, ref), want));
  }
  const bad: [string, string, string][] = [
    [
      "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:3",
      CLIENT,
      "Unable to describe task definition.",
    ],
    [
      "arn:aws:ecs:us-east-1:111111111111:task-definition/web:3",
      CLIENT,
      "Unable to describe task definition.",
    ],
    [
      "arn:aws:ecs:us-east-1:000000000000:cluster/web",
      CLIENT,
      "Invalid task definition: arn:aws:ecs:us-east-1:000000000000:cluster/web",
    ],
    [
      "arn:aws:ecr:us-east-1:000000000000:task-definition/web:1",
      CLIENT,
      "Invalid task definition: arn:aws:ecr:us-east-1:000000000000:task-definition/web:1",
    ],
    ["web app", CLIENT, "Unable to describe task definition."],
    ["web app:1", CLIENT, "Unable to describe task definition."],
    ["", CLIENT, "Unable to describe task definition."],
    ["web:abc", INVALID, "Invalid revision number. Number: abc"],
    ["web:", INVALID, "Invalid revision number. Number: "],
    ["web:0", INVALID, "Invalid revision number. Number: 0"],
    ["web:-1", INVALID, "Invalid revision number. Number: -1"],
    ["web:1.5", INVALID, "Invalid revision number. Number: 1.5"],
    [
      "arn:aws:ecs:us-east-1:000000000000:task-definition/web:x",
      INVALID,
      "Invalid revision number. Number: x",
    ],
  ];
  for (const [ref, code, message] of bad) {
    it(`refuses ${JSON.stringify(ref)} with ${code}`, () => {
      assert.throws(
        () => parseTaskDefinitionRef(scope, ref),
        (err: unknown) => {
          assert.ok(err instanceof AwsError);
          assert.deepEqual({ code: err.def.code, message: err.message }, { code, message });
          return true;
        },
      );
    });
  }
});

describe("clusterName", () => {
  const scope = { region: "us-east-1", accountId: "000000000000" };
  const ok: [string | undefined, string][] = [
    [undefined, "default"],
    ["default", "default"],
    ["prod_01-a", "prod_01-a"],
    ["arn:aws:ecs:us-east-1:000000000000:cluster/prod", "prod"],
  ];
  for (const [id, want] of ok) {
    it(`resolves ${id ?? "(omitted)"} to ${want}`, () => assert.equal(clusterName(scope, id), want));
  }
  const bad: [string, string, string][] = [
    ["bad name", "ClusterNotFoundException", "Cluster not found."],
    ["c".repeat(256), "ClusterNotFoundException", "Cluster not found."],
    ["arn:aws:ecs:eu-west-1:000000000000:cluster/prod", "ClusterNotFoundException", "Cluster not found."],
    ["arn:aws:ecs:us-east-1:111111111111:cluster/prod", "ClusterNotFoundException", "Cluster not found."],
    [
      "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
      INVALID,
      "Invalid cluster identifier: arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
    ],
    [
      "arn:aws:ecr:us-east-1:000000000000:cluster/prod",
      INVALID,
      "Invalid cluster identifier: arn:aws:ecr:us-east-1:000000000000:cluster/prod",
    ],
    [
      "arn:aws:ecs:us-east-1:000000000000:cluster/",
      INVALID,
      "Invalid cluster identifier: arn:aws:ecs:us-east-1:000000000000:cluster/",
    ],
    [
      "arn:aws:ecs:us-east-1:000000000000:cluster/bad name",
      INVALID,
      "Invalid cluster identifier: arn:aws:ecs:us-east-1:000000000000:cluster/bad name",
    ],
  ];
  for (const [id, code, message] of bad) {
    it(`refuses ${id.length > 60 ? `${id.slice(0, 20)}…` : id}`, () => {
      assert.throws(
        () => clusterName(scope, id),
        (err: unknown) => {
          assert.ok(err instanceof AwsError);
          assert.deepEqual({ code: err.def.code, message: err.message }, { code, message });
          return true;
        },
      );
    });
  }
});
