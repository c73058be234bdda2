/**
 * Network modes, ports, links and volumes on the real Docker engine: what a container sees in
 * bridge, host and none mode, the bindings DescribeTasks reports (dynamic tcp, udp,
 * containerPortRange), links between containers, host bind mounts, task-scoped and shared Docker
 * volumes, and volumesFrom.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ECSClient, NetworkBinding } from "@aws-sdk/client-ecs";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { docker, idOf, inspect, SLEEP, shIn, Tasks } from "../helpers/tasks.js";

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const v4 = (bindings: NetworkBinding[] | undefined) => (bindings ?? []).filter((n) => n.bindIP === "0.0.0.0");

describe("network modes, ports, links and volumes on Docker", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let tasks: Tasks;
  const cleanup: (() => Promise<unknown>)[] = [];

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    tasks = new Tasks(ecs, "net");
  });
  after(async () => {
    await b.close();
    for (const c of cleanup) await c().catch(() => undefined);
  });

  it("publishes dynamic tcp, udp and containerPortRange ports, and links containers by alias", async () => {
    const td = await tasks.register([
      {
        name: "web",
        image: "berth-test/busybox",
        memory: 32,
        command: [
          "sh",
          "-c",
          `echo ok > /tmp/index.html; for p in 8080 9000 9001 9002; do httpd -p $p -h /tmp; done; ${SLEEP}`,
        ],
        portMappings: [
          { containerPort: 8080 },
          { containerPort: 5353, protocol: "udp" },
          { containerPortRange: "9000-9002" },
        ],
      },
      {
        name: "client",
        image: "berth-test/busybox",
        memory: 16,
        links: ["web:webby"],
        command: ["sh", "-c", SLEEP],
      },
    ]);
    const t = await tasks.run(td);
    const r = await tasks.running(t.taskArn!);
    const web = r.containers!.find((c) => c.name === "web")!;
    const bindings = v4(web.networkBindings);
    const tcp = bindings.find((n) => n.containerPort === 8080)!;
    assert.equal(tcp.protocol, "tcp");
    assert.ok(tcp.hostPort! >= 1024);
    assert.equal(
      (await eventually(() => fetch(`http://127.0.0.1:${tcp.hostPort}/`).then((res) => res.text()))).trim(),
      "ok",
    );

    const udp = bindings.find((n) => n.containerPort === 5353)!;
    assert.equal(udp.protocol, "udp");
    const id = idOf(r, "web");
    assert.match(await docker("port", id, "5353/udp"), new RegExp(`^0\\.0\\.0\\.0:${udp.hostPort}$`, "m"));

    // ECS reports a range as one binding with the contiguous host range the agent found for it.
    const range = bindings.find((n) => n.containerPortRange)!;
    assert.deepEqual(Object.keys(range).sort(), [
      "bindIP",
      "containerPortRange",
      "hostPortRange",
      "protocol",
    ]);
    assert.equal(range.containerPortRange, "9000-9002");
    assert.equal(range.protocol, "tcp");
    const [lo, hi] = range.hostPortRange!.split("-").map(Number) as [number, number];
    assert.equal(hi - lo, 2);
    for (let p = lo; p <= hi; p++) {
      const res = await fetch(`http://127.0.0.1:${p}/`);
      assert.equal((await res.text()).trim(), "ok", `host port ${p}`);
      assert.match(await docker("port", id, `${9000 + p - lo}/tcp`), new RegExp(`:${p}$`, "m"));
    }
    assert.equal(bindings.length, 3, "8080/tcp, 5353/udp and the range");

    // The linking container reaches the linked one by its alias.
    const client = idOf(r, "client");
    const viaLink = await shIn(client, "wget -qO- http://webby:8080/");
    assert.equal(viaLink.out.trim(), "ok", viaLink.out);
    assert.deepEqual(r.containers!.find((c) => c.name === "client")!.networkBindings ?? [], []);
    await tasks.stop(t.taskArn!);
    await tasks.stopped(t.taskArn!);
  });

  it("runs host mode on the host's interfaces, reporting hostPort = containerPort, and none mode without a network", async () => {
    const port = await freePort();
    const host = await tasks.register(
      [
        {
          name: "web",
          image: "berth-test/busybox",
          memory: 32,
          hostname: "host-mode",
          command: ["sh", "-c", `echo ok > /tmp/health; httpd -p ${port} -h /tmp; ${SLEEP}`],
          portMappings: [{ containerPort: port }],
        },
      ],
      { networkMode: "host" },
    );
    const none = await tasks.register(
      [{ name: "alone", image: "berth-test/busybox", memory: 16, command: ["sh", "-c", SLEEP] }],
      { networkMode: "none" },
    );
    const [th, tn] = await Promise.all([tasks.run(host), tasks.run(none)]);
    const [rh, rn] = await Promise.all([tasks.running(th.taskArn!), tasks.running(tn.taskArn!)]);

    assert.deepEqual(rh.containers![0]!.networkBindings, [
      { bindIP: "0.0.0.0", containerPort: port, hostPort: port, protocol: "tcp" },
    ]);
    const res = await eventually(() => fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined));
    assert.equal((await res.text()).trim(), "ok");
    const web = idOf(rh, "web");
    const hostIfaces = new Set(await readdir("/sys/class/net"));
    const seen = (await shIn(web, "ls /sys/class/net")).out.split(/\s+/).filter(Boolean);
    const bridge = `brb${b.berth.agent()!.containerInstanceArn!.split("/").pop()!.slice(0, 12)}`;
    assert.ok(seen.includes(bridge), `the container sees the agent's bridge ${bridge}: ${seen}`);
    assert.ok(seen.filter((i) => hostIfaces.has(i)).length >= 2, "and the host's other interfaces");
    assert.equal((await shIn(web, "hostname")).out.trim(), "host-mode");
    const md = await shIn(web, 'wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"');
    assert.equal(JSON.parse(md.out).TaskARN, rh.taskArn, "the metadata endpoint answers in host mode");

    const alone = idOf(rn, "alone");
    assert.deepEqual((await shIn(alone, "ls /sys/class/net")).out.split(/\s+/).filter(Boolean), ["lo"]);
    assert.equal((await inspect(alone)).HostConfig.NetworkMode, "none");
    assert.deepEqual(rn.containers![0]!.networkBindings ?? [], []);
    await Promise.all([tasks.stop(th.taskArn!), tasks.stop(tn.taskArn!)]);
    await Promise.all([tasks.stopped(th.taskArn!), tasks.stopped(tn.taskArn!)]);
  });

  it("mounts host paths read-write and read-only, shares a task-scoped volume, and honours volumesFrom", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-e2e-bind-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "host.txt"), "from the host\n");
    const td = await tasks.register(
      [
        {
          name: "writer",
          image: "berth-test/busybox",
          memory: 16,
          mountPoints: [
            { sourceVolume: "hostdir", containerPath: "/host" },
            { sourceVolume: "scratch", containerPath: "/shared" },
          ],
          command: ["sh", "-c", `echo from-writer > /shared/msg; echo written > /host/out.txt; ${SLEEP}`],
        },
        {
          name: "reader",
          image: "berth-test/busybox",
          memory: 16,
          mountPoints: [
            { sourceVolume: "hostdir", containerPath: "/ro-host", readOnly: true },
            { sourceVolume: "scratch", containerPath: "/data" },
          ],
          volumesFrom: [{ sourceContainer: "writer", readOnly: true }],
          command: ["sh", "-c", SLEEP],
        },
      ],
      { volumes: [{ name: "hostdir", host: { sourcePath: dir } }, { name: "scratch" }] },
    );
    const t = await tasks.run(td);
    const r = await tasks.running(t.taskArn!);
    const reader = idOf(r, "reader");
    const writer = idOf(r, "writer");

    assert.equal(await eventually(() => readFile(join(dir, "out.txt"), "utf8")), "written\n");
    assert.equal((await shIn(writer, "touch /host/rw && echo yes")).out.trim(), "yes");
    assert.equal((await shIn(reader, "cat /ro-host/host.txt")).out, "from the host\n");
    assert.match((await shIn(reader, "touch /ro-host/nope")).out, /Read-only file system/);
    const msg = await eventually(async () => (await shIn(reader, "cat /data/msg")).out.trim() || undefined);
    assert.equal(msg, "from-writer", "the task-scoped volume is shared");
    // volumesFrom brings the writer's mounts, read-only here.
    assert.equal((await shIn(reader, "cat /shared/msg")).out.trim(), "from-writer");
    assert.equal((await shIn(reader, "cat /host/host.txt")).out, "from the host\n");
    assert.match((await shIn(reader, "touch /shared/nope")).out, /Read-only file system/);
    const mounts = (await inspect(reader)).Mounts as { Destination: string; RW: boolean }[];
    assert.equal(mounts.find((m) => m.Destination === "/shared")!.RW, false);
    assert.equal(mounts.find((m) => m.Destination === "/data")!.RW, true);
    await tasks.stop(t.taskArn!);
    await tasks.stopped(t.taskArn!);
  });

  it("removes a task-scoped Docker volume with its task, keeps a shared one and reuses it", async () => {
    const shared = `berth-e2e-shared-${process.pid}`;
    cleanup.push(() => docker("volume", "rm", "-f", shared));
    const td = await tasks.register(
      [
        {
          name: "c",
          image: "berth-test/busybox",
          memory: 16,
          mountPoints: [
            { sourceVolume: "mine", containerPath: "/mine" },
            { sourceVolume: shared, containerPath: "/shared" },
          ],
          command: ["sh", "-c", `echo run >> /shared/log; echo x > /mine/x; ${SLEEP}`],
        },
      ],
      {
        volumes: [
          {
            name: "mine",
            dockerVolumeConfiguration: {
              scope: "task",
              driver: "local",
              labels: { "com.example.v": "task" },
            },
          },
          {
            name: shared,
            dockerVolumeConfiguration: { scope: "shared", autoprovision: true, driver: "local" },
          },
        ],
      },
    );
    const first = await tasks.run(td);
    const r1 = await tasks.running(first.taskArn!);
    const mounts = (await inspect(idOf(r1, "c"))).Mounts as { Destination: string; Name: string }[];
    const taskVolume = mounts.find((m) => m.Destination === "/mine")!.Name;
    assert.match(taskVolume, new RegExp(`-mine-${first.taskArn!.split("/").pop()}$`));
    assert.equal(mounts.find((m) => m.Destination === "/shared")!.Name, shared);
    const labels = JSON.parse(await docker("volume", "inspect", "-f", "{{json .Labels}}", taskVolume));
    assert.equal(labels["com.example.v"], "task");
    await tasks.stop(first.taskArn!);
    await tasks.stopped(first.taskArn!);
    // Once the stopped task is cleaned up (cleanupWaitMs 0), its volume goes; the shared one stays.
    await eventually(
      async () =>
        !(await docker("volume", "ls", "-q", "--filter", `name=${taskVolume}`)).includes(taskVolume),
      { timeoutMs: 20_000, what: "the task volume removed" },
    );
    assert.equal((await docker("volume", "inspect", "-f", "{{.Name}}", shared)).trim(), shared);

    const second = await tasks.run(td);
    const r2 = await tasks.running(second.taskArn!);
    const log = await eventually(async () => {
      const out = (await shIn(idOf(r2, "c"), "cat /shared/log")).out;
      return out.split("\n").filter(Boolean).length === 2 ? out : undefined;
    });
    assert.equal(log, "run\nrun\n", "the second task sees what the first wrote");
    await tasks.stop(second.taskArn!);
    await tasks.stopped(second.taskArn!);
  });
});
