/**
 * Container definition fields on the real Docker engine: each field is observed where it lands —
 * inside the container (env, pwd, id, ulimit, capabilities, mounts, /etc/hosts, sysctls, cgroups)
 * or in `docker inspect` — plus RunTask overrides, task-level cgroup limits, dependsOn conditions
 * and what RunTask and RegisterTaskDefinition refuse. Cgroup paths are cgroup v1's (this engine's).
 */
import assert from "node:assert/strict";
import { readFile, readlink } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { type ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import { idOf, inspect, SLEEP, shIn, Tasks, taskIdOf } from "../helpers/tasks.js";

const MiB = 1024 * 1024;
const cgroupFile = (controller: string, taskArn: string, file: string) =>
  readFile(`/sys/fs/cgroup/${controller}/berth/${taskIdOf(taskArn)}/${file}`, "utf8").then((s) => s.trim());

describe("container definitions on Docker", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let tasks: Tasks;

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    tasks = new Tasks(ecs, "defs");
  });
  after(async () => {
    await b.close();
  });

  it("passes process, limit, security, DNS, label, log and health fields to the container", async () => {
    const td = await tasks.register(
      [
        {
          name: "app",
          image: "berth-test/busybox",
          entryPoint: ["sh", "-c"],
          command: [`echo started; ${SLEEP}`],
          environment: [
            { name: "GREETING", value: "hello world" },
            { name: "EMPTY", value: "" },
          ],
          workingDirectory: "/srv/app",
          user: "1234:2345",
          ulimits: [{ name: "nofile", softLimit: 1000, hardLimit: 2000 }],
          cpu: 128,
          memory: 96,
          memoryReservation: 48,
          readonlyRootFilesystem: true,
          privileged: false,
          linuxParameters: {
            initProcessEnabled: true,
            capabilities: { add: ["NET_ADMIN"], drop: ["CHOWN"] },
            sharedMemorySize: 32,
            tmpfs: [{ containerPath: "/scratch", size: 16, mountOptions: ["exec", "noatime", "mode=1770"] }],
            devices: [{ hostPath: "/dev/kmsg", containerPath: "/dev/berth-kmsg", permissions: ["read"] }],
          },
          dockerLabels: { "com.example.team": "berth" },
          hostname: "app-host",
          extraHosts: [{ hostname: "db.internal", ipAddress: "10.1.2.3" }],
          dnsServers: ["10.9.8.7"],
          dnsSearchDomains: ["berth.test"],
          interactive: true,
          pseudoTerminal: true,
          systemControls: [{ namespace: "net.ipv4.tcp_keepalive_time", value: "123" }],
          stopTimeout: 7,
          logConfiguration: { logDriver: "json-file", options: { "max-size": "1m", "max-file": "2" } },
          healthCheck: {
            command: ["CMD-SHELL", "test -d /scratch"],
            interval: 5,
            timeout: 3,
            retries: 2,
            startPeriod: 1,
          },
        },
      ],
      { cpu: "512", memory: "256" },
    );
    const t = await tasks.run(td);
    const r = await tasks.until(t.taskArn!, (x) => x.healthStatus === "HEALTHY", "HEALTHY");
    assert.equal(r.lastStatus, "RUNNING");
    // berth-test/* exist only on this host: the pull fails, and like the ECS agent's default Berth
    // falls back to the cached image (tasks.test.ts covers a pull failure with nothing cached).
    assert.ok(r.pullStartedAt && r.pullStoppedAt && r.pullStoppedAt >= r.pullStartedAt);
    const app = idOf(r, "app");
    const sh = async (script: string) => {
      const res = await shIn(app, script);
      assert.equal(res.code, 0, `${script}: ${res.out}`);
      return res.out;
    };

    // Process: environment, working directory, user, entryPoint + command, init.
    const env = await sh("env");
    assert.match(env, /^GREETING=hello world$/m);
    assert.match(env, /^EMPTY=$/m);
    assert.equal((await sh("pwd")).trim(), "/srv/app");
    assert.match(await sh("id"), /^uid=1234 gid=2345/);
    assert.match(await sh("cat /proc/1/cmdline | tr '\\0' ' '"), /init/, "PID 1 is the init process");
    assert.match(await sh("ps -o args"), /sh -c echo started; trap/);

    // Limits: ulimits, container cgroup (memory, reservation, shares), task cgroup.
    // The container's own process: a `docker exec`ed one sometimes gets soft = hard from this runc.
    assert.match(await sh("cat /proc/1/limits"), /^Max open files\s+1000\s+2000\s+files\s*$/m);
    assert.equal(Number(await sh("cat /sys/fs/cgroup/memory/memory.limit_in_bytes")), 96 * MiB);
    assert.equal(Number(await sh("cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes")), 48 * MiB);
    assert.equal(Number(await sh("cat /sys/fs/cgroup/cpu/cpu.shares")), 128);
    assert.match(await sh("cat /proc/self/cgroup"), new RegExp(`:memory:/berth/${taskIdOf(r.taskArn!)}/`));
    assert.equal(await cgroupFile("cpu", r.taskArn!, "cpu.cfs_quota_us"), "50000");
    assert.equal(await cgroupFile("cpu", r.taskArn!, "cpu.cfs_period_us"), "100000");
    assert.equal(Number(await cgroupFile("memory", r.taskArn!, "memory.limit_in_bytes")), 256 * MiB);

    // Security: capabilities, read-only root, devices, privileged.
    const capBnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(await sh("cat /proc/self/status"))![1]}`);
    assert.equal((capBnd >> 12n) & 1n, 1n, "NET_ADMIN added");
    assert.equal(capBnd & 1n, 0n, "CHOWN dropped");
    const rootWrite = await shIn(app, "touch /should-fail");
    assert.notEqual(rootWrite.code, 0);
    assert.match(rootWrite.out, /Read-only file system/);
    assert.match(await sh("ls -l /dev/berth-kmsg"), /^c.* 1,\s+11 /);
    assert.match(await sh("cat /sys/fs/cgroup/devices/devices.list"), /^c 1:11 r$/m, "read-only access");
    // Mounts: tmpfs with its options and size, /dev/shm size.
    const scratch = (await sh("mount")).split("\n").find((l) => l.includes(" /scratch "));
    assert.ok(scratch, "a tmpfs on /scratch");
    assert.match(scratch, /^tmpfs on \/scratch type tmpfs \(.*\bnoatime\b/);
    assert.doesNotMatch(scratch, /noexec/, "exec overrides the engine's default noexec");
    assert.match(scratch, /size=16384k/);
    assert.equal((await sh("stat -c %a /scratch")).trim(), "1770");
    assert.match(await sh("df -k /dev/shm"), /shm\s+32768\s/);

    // Network identity: hostname, extra hosts, DNS search, sysctls.
    assert.equal((await sh("hostname")).trim(), "app-host");
    assert.match(await sh("cat /etc/hosts"), /^10\.1\.2\.3\s+db\.internal$/m);
    assert.match(await sh("cat /etc/resolv.conf"), /^search berth\.test$/m);
    assert.equal((await sh("cat /proc/sys/net/ipv4/tcp_keepalive_time")).trim(), "123");

    // What only the engine shows: DNS servers (behind Docker's embedded DNS), labels, TTY, stdin,
    // log configuration, health check timings, stop timeout.
    const i = await inspect(app);
    assert.deepEqual(i.HostConfig.Dns, ["10.9.8.7"]);
    assert.equal(i.Config.Labels["com.example.team"], "berth");
    assert.equal(i.Config.Tty, true);
    assert.equal(i.Config.OpenStdin, true);
    assert.equal(i.HostConfig.Init, true);
    assert.deepEqual(i.HostConfig.LogConfig, {
      Type: "json-file",
      Config: { "max-size": "1m", "max-file": "2" },
    });
    assert.deepEqual(i.Config.Healthcheck, {
      Test: ["CMD-SHELL", "test -d /scratch"],
      Interval: 5e9,
      Timeout: 3e9,
      Retries: 2,
      StartPeriod: 1e9,
    });
    assert.equal(i.Config.StopTimeout, 7);
    assert.equal(r.containers!.find((c) => c.name === "app")!.healthStatus, "HEALTHY");

    await tasks.stop(t.taskArn!);
    const s = await tasks.stopped(t.taskArn!);
    assert.equal(s.containers!.find((c) => c.name === "app")!.exitCode, 0);
  });

  it("applies RunTask overrides: command, environment, container cpu and memory, task cpu and memory", async () => {
    const td = await tasks.register([
      {
        name: "c",
        image: "berth-test/busybox",
        cpu: 64,
        memory: 64,
        command: ["sh", "-c", "echo from the definition; exit 5"],
        environment: [
          { name: "A", value: "definition" },
          { name: "B", value: "kept" },
        ],
      },
    ]);
    const t = await tasks.run(td, {
      overrides: {
        cpu: "256",
        memory: "160",
        containerOverrides: [
          {
            name: "c",
            command: ["sh", "-c", `echo overridden; ${SLEEP}`],
            environment: [
              { name: "A", value: "override" },
              { name: "C", value: "added" },
            ],
            cpu: 100,
            memory: 80,
            memoryReservation: 40,
          },
        ],
      },
    });
    const r = await tasks.running(t.taskArn!);
    assert.equal(r.cpu, "256");
    assert.equal(r.memory, "160");
    const c = r.containers![0]!;
    assert.equal(c.cpu, "100");
    assert.equal(c.memory, "80");
    assert.equal(c.memoryReservation, "40");
    const id = idOf(r, "c");
    const env = (await shIn(id, "env")).out;
    assert.match(env, /^A=override$/m);
    assert.match(env, /^B=kept$/m);
    assert.match(env, /^C=added$/m);
    assert.match((await shIn(id, "ps -o args")).out, /sh -c echo overridden/);
    assert.equal(Number((await shIn(id, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")).out), 80 * MiB);
    assert.equal(
      Number((await shIn(id, "cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes")).out),
      40 * MiB,
    );
    assert.equal(Number((await shIn(id, "cat /sys/fs/cgroup/cpu/cpu.shares")).out), 100);
    assert.equal(await cgroupFile("cpu", r.taskArn!, "cpu.cfs_quota_us"), "25000");
    assert.equal(Number(await cgroupFile("memory", r.taskArn!, "memory.limit_in_bytes")), 160 * MiB);
    await tasks.stop(t.taskArn!);
    await tasks.stopped(t.taskArn!);
  });

  it("stops a task whose containers outgrow the task-level memory with OutOfMemoryError", async () => {
    const td = await tasks.register(
      [
        {
          name: "hog",
          image: "berth-test/busybox",
          command: ["sh", "-c", "head -c 200m /dev/zero | tail > /dev/null"],
        },
      ],
      { memory: "64" },
    );
    const t = await tasks.run(td);
    const s = await tasks.stopped(t.taskArn!);
    const c = s.containers![0]!;
    assert.equal(c.exitCode, 137);
    assert.equal(c.reason, "OutOfMemoryError: Container killed due to memory usage");
    assert.equal(s.stopCode, "EssentialContainerExited");
  });

  it("starts containers in dependsOn order: COMPLETE, SUCCESS, HEALTHY, START; non-essential exits keep the task", async () => {
    const td = await tasks.register([
      {
        name: "init",
        image: "berth-test/crasher",
        memory: 16,
        essential: false,
        environment: [
          { name: "CRASH_AFTER", value: "0" },
          { name: "EXIT_CODE", value: "1" },
        ],
      },
      {
        name: "migrate",
        image: "berth-test/crasher",
        memory: 16,
        essential: false,
        environment: [
          { name: "CRASH_AFTER", value: "0" },
          { name: "EXIT_CODE", value: "0" },
        ],
      },
      {
        name: "db",
        image: "berth-test/busybox",
        memory: 16,
        command: ["sh", "-c", `touch /tmp/ready; ${SLEEP}`],
        healthCheck: { command: ["CMD-SHELL", "test -f /tmp/ready"], interval: 5, timeout: 2, retries: 1 },
      },
      {
        name: "app",
        image: "berth-test/busybox",
        memory: 16,
        command: ["sh", "-c", SLEEP],
        dependsOn: [
          { containerName: "init", condition: "COMPLETE" },
          { containerName: "migrate", condition: "SUCCESS" },
          { containerName: "db", condition: "HEALTHY" },
        ],
      },
      {
        name: "side",
        image: "berth-test/busybox",
        memory: 16,
        essential: false,
        command: ["sh", "-c", SLEEP],
        dependsOn: [{ containerName: "app", condition: "START" }],
      },
    ]);
    const t = await tasks.run(td);
    const r = await tasks.until(
      t.taskArn!,
      (x) => x.lastStatus === "RUNNING" && x.containers!.every((c) => c.runtimeId),
      "RUNNING with every container",
    );
    const [init, migrate, db, app, side] = await Promise.all(
      ["init", "migrate", "db", "app", "side"].map((n) => inspect(idOf(r, n))),
    );
    const at = (s: string) => Date.parse(s);
    assert.ok(at(app.State.StartedAt) >= at(init.State.FinishedAt), "app starts after init completed");
    assert.ok(at(app.State.StartedAt) >= at(migrate.State.FinishedAt), "app starts after migrate succeeded");
    const healthyAt = at(db.State.Health.Log.find((l: { ExitCode: number }) => l.ExitCode === 0).End);
    assert.ok(at(app.State.StartedAt) >= healthyAt, "app starts after db is healthy");
    assert.ok(at(side.State.StartedAt) >= at(app.State.StartedAt), "side starts after app started");
    const byName = new Map(r.containers!.map((c) => [c.name, c]));
    assert.equal(byName.get("init")!.exitCode, 1, "a non-essential container may fail");
    assert.equal(byName.get("init")!.lastStatus, "STOPPED");
    assert.equal(byName.get("db")!.healthStatus, "HEALTHY");
    assert.equal(byName.get("app")!.healthStatus, "UNKNOWN");
    assert.equal(r.healthStatus, "HEALTHY");
    await tasks.stop(t.taskArn!);
    await tasks.stopped(t.taskArn!);
  });

  it("runs a privileged container with every capability the host can grant", async () => {
    const td = await tasks.register([
      {
        name: "admin",
        image: "berth-test/busybox",
        memory: 16,
        privileged: true,
        command: ["sh", "-c", SLEEP],
      },
    ]);
    // A privileged container gets every capability; a host that lacks some (a sandbox) cannot start one.
    const host = /^CapBnd:\s*([0-9a-f]+)$/m.exec(await readFile("/proc/self/status", "utf8"))![1]!;
    const lastCap = Number(await readFile("/proc/sys/kernel/cap_last_cap", "utf8"));
    const t = await tasks.run(td);
    if (BigInt(`0x${host}`) === (1n << BigInt(lastCap + 1)) - 1n) {
      const r = await tasks.running(t.taskArn!);
      const i = await inspect(idOf(r, "admin"));
      assert.equal(i.HostConfig.Privileged, true);
      const caps = /^CapEff:\s*([0-9a-f]+)$/m.exec((await shIn(i.Id, "cat /proc/self/status")).out)![1]!;
      assert.equal(caps, host);
      await tasks.stop(t.taskArn!);
      await tasks.stopped(t.taskArn!);
    } else {
      // The engine was asked for every capability: runc cannot apply those the host lacks.
      const s = await tasks.stopped(t.taskArn!);
      assert.equal(s.stopCode, "TaskFailedToStart");
      assert.match(s.containers![0]!.reason!, /^CannotStartContainerError: .*unable to apply caps/);
    }
  });

  it("shares PID and IPC namespaces across the task (task), with the host (host), or not at all (none)", async () => {
    const sleeper = (name: string) => ({
      name,
      image: "berth-test/busybox",
      memory: 16,
      command: ["sh", "-c", SLEEP],
    });
    const shared = await tasks.register([sleeper("first"), sleeper("second")], {
      pidMode: "task",
      ipcMode: "task",
    });
    const hostish = await tasks.register([sleeper("only")], { pidMode: "host", ipcMode: "none" });
    const [ts, th] = await Promise.all([tasks.run(shared), tasks.run(hostish)]);
    const [rs, rh] = await Promise.all([tasks.running(ts.taskArn!), tasks.running(th.taskArn!)]);
    const ns = async (id: string, kind: string) =>
      (await shIn(id, `readlink /proc/self/ns/${kind}`)).out.trim();
    const first = idOf(rs, "first");
    const second = idOf(rs, "second");
    assert.match(await ns(first, "pid"), /^pid:\[\d+\]$/);
    assert.equal(await ns(second, "pid"), await ns(first, "pid"));
    assert.equal(await ns(second, "ipc"), await ns(first, "ipc"));
    const hostPid = readlink("/proc/self/ns/pid");
    const only = idOf(rh, "only");
    assert.equal(await ns(only, "pid"), await hostPid, "pidMode host");
    assert.notEqual(await ns(only, "ipc"), await ns(first, "ipc"));
    assert.match(
      (await shIn(only, "ls /dev/shm")).out,
      /No such file or directory/,
      "ipcMode none has no /dev/shm",
    );
    await Promise.all([tasks.stop(ts.taskArn!), tasks.stop(th.taskArn!)]);
    await Promise.all([tasks.stopped(ts.taskArn!), tasks.stopped(th.taskArn!)]);
  });

  it("refuses at RunTask, naming the field, what Berth cannot honour", async () => {
    const c = { name: "app", image: "berth-test/busybox", memory: 16 };
    const cases: { what: string; def: Parameters<Tasks["register"]>; message: RegExp }[] = [
      {
        what: "efs volume",
        def: [
          [{ ...c, mountPoints: [{ sourceVolume: "efs", containerPath: "/efs" }] }],
          { volumes: [{ name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-12345678" } }] },
        ],
        message: /volume 'efs': efsVolumeConfiguration is not supported/,
      },
      {
        what: "firelens",
        def: [[{ ...c, firelensConfiguration: { type: "fluentbit" } }]],
        message: /container 'app': firelensConfiguration is not supported/,
      },
      {
        what: "splunk",
        def: [[{ ...c, logConfiguration: { logDriver: "splunk", options: { "splunk-url": "https://x" } } }]],
        message: /container 'app': log driver 'splunk' is not supported; use awslogs or json-file/,
      },
      {
        what: "unknown awslogs option",
        def: [
          [
            {
              ...c,
              logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": "g", "awslogs-multiline-pattern": "^INFO" },
              },
            },
          ],
        ],
        message:
          /container 'app': logConfiguration: awslogs option 'awslogs-multiline-pattern' is not supported/,
      },
      {
        what: "awslogs without a group",
        def: [
          [{ ...c, logConfiguration: { logDriver: "awslogs", options: { "awslogs-region": "us-east-1" } } }],
        ],
        message: /container 'app': logConfiguration: the awslogs log driver needs the option 'awslogs-group'/,
      },
      {
        what: "unknown json-file option",
        def: [[{ ...c, logConfiguration: { logDriver: "json-file", options: { "max-sise": "1m" } } }]],
        message: /container 'app': logConfiguration: json-file option 'max-sise' is not supported/,
      },
      {
        what: "tmpfs option",
        def: [
          [
            {
              ...c,
              linuxParameters: {
                tmpfs: [{ containerPath: "/t", size: 8, mountOptions: ["noexec,size=1g"] }],
              },
            },
          ],
        ],
        message:
          /container 'app': linuxParameters.tmpfs '\/t': mount option 'noexec,size=1g' is not a tmpfs mount option/,
      },
    ];
    for (const k of cases) {
      const td = await tasks.register(...k.def);
      await assert.rejects(
        ecs.send(new RunTaskCommand({ taskDefinition: td })),
        (err: Error) => {
          assert.equal(err.name, "InvalidParameterException", k.what);
          assert.match(err.message, /^Berth cannot run defs-\d+-\d+:1: /, k.what);
          assert.match(err.message, k.message, k.what);
          return true;
        },
        k.what,
      );
    }
    // And through the AWS CLI, as a user sees it.
    const td = await tasks.register([{ ...c, firelensConfiguration: { type: "fluentd" } }]);
    const cli = await runAws(b, ["ecs", "run-task", "--task-definition", td]);
    assert.equal(cli.code, 254);
    assert.match(
      cli.stderr,
      /\(InvalidParameterException\) when calling the RunTask operation.*: .*firelensConfiguration/,
    );
  });

  it("still refuses at registration what ECS refuses", async () => {
    const c = { name: "app", image: "berth-test/busybox", memory: 16 };
    const cases: { def: Parameters<Tasks["register"]>; message: string }[] = [
      {
        def: [
          [
            { ...c, links: ["other"] },
            { ...c, name: "other" },
          ],
          { networkMode: "host" },
        ],
        message: "Links are not supported when networkMode=host.",
      },
      {
        def: [[{ ...c, portMappings: [{ containerPort: 80 }] }], { networkMode: "none" }],
        message: "Port mappings are not supported when networkMode=none (container 'app').",
      },
      {
        def: [[{ ...c, portMappings: [{ containerPort: 80, hostPort: 81 }] }], { networkMode: "host" }],
        message: "When networkMode=host, the host ports and container ports in port mappings must match.",
      },
      {
        def: [[{ ...c, portMappings: [{ containerPortRange: "9000-9010" }] }], { networkMode: "host" }],
        message:
          "containerPortRange is only supported when networkMode=bridge or networkMode=awsvpc (container 'app').",
      },
      {
        def: [[{ ...c, ulimits: [{ name: "nofiles" as "nofile", softLimit: 1, hardLimit: 1 }] }]],
        message: "Unrecognized ulimit name nofiles",
      },
      {
        def: [
          [
            { ...c, dependsOn: [{ containerName: "db", condition: "HEALTHY" }] },
            { ...c, name: "db" },
          ],
        ],
        message: "Container 'app' depends on 'db' being HEALTHY, but 'db' has no healthCheck.",
      },
      {
        def: [[{ ...c, mountPoints: [{ sourceVolume: "nope", containerPath: "/x" }] }]],
        message: "Invalid 'mountPoints' setting for container 'app'. Unknown volume 'nope'.",
      },
      {
        def: [[{ ...c, volumesFrom: [{ sourceContainer: "ghost" }] }]],
        message: "Invalid 'volumesFrom' setting for container 'app'. Unknown container 'ghost'.",
      },
    ];
    for (const k of cases) {
      await assert.rejects(tasks.register(...k.def), (err: Error) => {
        assert.equal(err.name, "ClientException", k.message);
        assert.equal(err.message, k.message);
        return true;
      });
    }
  });
});
