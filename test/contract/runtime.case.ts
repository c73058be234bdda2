/**
 * The ContainerRuntime contract, run against the Docker runtime (real engine) and the in-memory one.
 * `fixtures` says how to make each implementation's containers behave (commands differ: busybox on
 * Docker, the fake's script language in memory).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ensurePauseImage, PAUSE_IMAGE } from "../../src/agent/network/pause.js";
import type {
  ContainerRuntime,
  ContainerSpec,
  LogLine,
  RuntimeEvent,
} from "../../src/agent/runtime/runtime.js";
import { RuntimeError } from "../../src/agent/runtime/runtime.js";
import { eventually } from "../helpers/berth.js";

export interface RuntimeFixtures {
  image: string;
  /** Runs until stopped. */
  runForever: string[];
  /** Prints "hello" and "world" on stdout, then exits 3. */
  printThenExit3: string[];
  /** Ignores SIGTERM. */
  ignoreTerm: string[];
  /** An image no registry has. */
  missingImage: string;
}

let seq = 0;

export function runtimeContract(
  name: string,
  open: () => Promise<{ runtime: ContainerRuntime; fixtures: RuntimeFixtures; cleanup(): Promise<void> }>,
) {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let rt: ContainerRuntime;
    let fx: RuntimeFixtures;
    let cleanup: () => Promise<void>;
    const label = `berth.contract.${process.pid}`;
    const created: string[] = [];
    const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `berth-contract-${process.pid}-${++seq}`,
      image: fx.image,
      labels: { [label]: "1" },
      env: { GREETING: "hi" },
      networkMode: "bridge",
      ports: [],
      command: fx.runForever,
      ...over,
    });
    const make = async (over: Partial<ContainerSpec> = {}) => {
      const id = await rt.create(spec(over));
      created.push(id);
      return id;
    };

    before(async () => {
      ({ runtime: rt, fixtures: fx, cleanup } = await open());
    });
    after(async () => {
      for (const id of created) await rt.remove(id);
      await cleanup();
    });

    it("reports engine facts", async () => {
      const info = await rt.info();
      assert.ok(info.cpus >= 1);
      assert.ok(info.memoryBytes > 0);
      assert.ok(info.version.length > 0);
    });

    it("creates, starts and inspects a container with labels and dynamic and static ports", async () => {
      const id = await make({ ports: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }] });
      const created = await rt.inspect(id);
      assert.equal(created?.status, "created");
      await rt.start(id);
      const s = await rt.inspect(id);
      assert.equal(s?.status, "running");
      assert.equal(s?.labels[label], "1");
      assert.ok(s?.startedAt && s.startedAt > 0);
      const port = s?.ports.find((p) => p.containerPort === 8080);
      assert.ok(port && port.hostPort > 0, "a dynamic host port is assigned");
    });

    it("reports the exit code of a process that ends, and its output", async () => {
      const id = await make({ command: fx.printThenExit3 });
      await rt.start(id);
      const s = await eventually(async () => {
        const st = await rt.inspect(id);
        return st?.status === "exited" ? st : undefined;
      });
      assert.equal(s.exitCode, 3);
      const lines: LogLine[] = [];
      await new Promise<void>((resolve) => rt.logs(id, 0, (l) => lines.push(l), resolve));
      assert.deepEqual(
        lines.filter((l) => l.stream === "stdout").map((l) => l.message),
        ["hello", "world"],
      );
      assert.ok(lines.every((l) => l.timestamp > 0));
    });

    it("stops with SIGTERM, and SIGKILLs a process that ignores it after the timeout", async () => {
      const polite = await make();
      const stubborn = await make({ command: fx.ignoreTerm });
      await rt.start(polite);
      await rt.start(stubborn);
      await Promise.all([rt.stop(polite, 5), rt.stop(stubborn, 1)]);
      const [p, s] = await Promise.all([rt.inspect(polite), rt.inspect(stubborn)]);
      assert.equal(p?.status, "exited");
      assert.equal(s?.status, "exited");
      assert.equal(s?.exitCode, 137);
      await rt.stop(polite, 1); // stopping a stopped container is fine
    });

    it("kills, removes, and lists by label", async () => {
      const id = await make();
      await rt.start(id);
      await rt.kill(id);
      assert.equal((await rt.inspect(id))?.status, "exited");
      const listed = await rt.list({ [label]: "1" });
      assert.ok(listed.some((c) => c.id === id));
      await rt.remove(id);
      assert.equal(await rt.inspect(id), undefined);
      await rt.remove(id); // removing twice is fine
      assert.ok(!(await rt.list({ [label]: "1" })).some((c) => c.id === id));
    });

    it("sends start, die and destroy events for labelled containers", async () => {
      const events: RuntimeEvent[] = [];
      const sub = rt.events(label, (e) => events.push(e));
      try {
        // Give the event stream a moment to attach by waiting for a first event to round-trip.
        const probe = await make();
        await rt.start(probe);
        await eventually(() => events.some((e) => e.id === probe && e.type === "start"), {
          what: "probe start event",
        });
        const id = await make({ command: fx.printThenExit3 });
        await rt.start(id);
        await eventually(() => events.some((e) => e.id === id && e.type === "die"), { what: "die event" });
        await rt.remove(id);
        await eventually(() => events.some((e) => e.id === id && e.type === "destroy"), {
          what: "destroy event",
        });
        const mine = events.filter((e) => e.id === id).map((e) => e.type);
        assert.deepEqual(mine.slice(0, 1), ["start"]);
      } finally {
        sub.close();
      }
    });

    it("refuses to create from an image it does not have, and fails to pull an unknown image", async () => {
      await assert.rejects(
        rt.create(spec({ image: fx.missingImage })),
        (e: unknown) => e instanceof RuntimeError && e.kind === "image",
      );
      await assert.rejects(
        rt.pullImage(fx.missingImage),
        (e: unknown) =>
          e instanceof RuntimeError &&
          e.kind === "image" &&
          e.message.startsWith("Error response from daemon: "),
      );
      assert.equal(await rt.hasImage(fx.missingImage), false);
      assert.equal(await rt.hasImage(fx.image), true);
    });

    it("imports an image from a tar of its file system and runs it (the agent's pause image)", async () => {
      await ensurePauseImage(rt);
      assert.equal(await rt.hasImage(PAUSE_IMAGE), true);
      const id = await make({ image: PAUSE_IMAGE, entryPoint: ["/pause"], command: [], networkMode: "none" });
      await rt.start(id);
      assert.equal((await rt.inspect(id))?.status, "running");
      await rt.kill(id);
      const s = await eventually(async () => {
        const st = await rt.inspect(id);
        return st?.status === "exited" ? st : undefined;
      });
      assert.equal(s.exitCode, 137);
      await assert.rejects(
        rt.importImage("berth-contract/broken:1", Buffer.from("not a tar")),
        (e: unknown) => e instanceof RuntimeError && e.kind === "image",
      );
    });

    it("refuses a second container with the same name", async () => {
      const s = spec();
      created.push(await rt.create(s));
      await assert.rejects(rt.create(s), (e: unknown) => e instanceof RuntimeError && e.kind === "conflict");
    });

    it("creates, lists and removes labelled volumes", async () => {
      const vol = `berth-contract-${process.pid}-${++seq}`;
      await rt.createVolume(vol, { labels: { [label]: "1" } });
      assert.ok((await rt.listVolumes({ [label]: "1" })).includes(vol));
      await rt.removeVolume(vol);
      assert.ok(!(await rt.listVolumes({ [label]: "1" })).includes(vol));
    });
  });
}
