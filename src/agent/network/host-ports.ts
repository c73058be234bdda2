/**
 * Contiguous host port ranges for containerPortRange mappings in bridge mode. The engine picks each
 * dynamic host port on its own, so a range of container ports would land on scattered host ports;
 * like the ECS agent, Berth finds a block of free ports in the host's ephemeral range and publishes
 * the range on it. A port counts as free when this process can bind it (on every address). Searches
 * start after the last block handed out, so concurrent tasks do not get the same block before the
 * engine has bound it.
 */
import { createSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { Mutex } from "../../lib/mutex.js";

const DEFAULT_RANGE: [number, number] = [32768, 60999];

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket({ type: "udp6", ipv6Only: false });
    sock.once("error", () => {
      sock.close();
      resolve(false);
    });
    sock.bind({ port, exclusive: true }, () => sock.close(() => resolve(true)));
  });
}

export class HostPortRanges {
  private readonly lock = new Mutex();
  private last = 0;
  private range: Promise<[number, number]> | undefined;

  constructor(private readonly rangeFile = "/proc/sys/net/ipv4/ip_local_port_range") {}

  private ephemeral(): Promise<[number, number]> {
    this.range ??= readFile(this.rangeFile, "utf8").then(
      (text) => {
        const [lo, hi] = text.trim().split(/\s+/).map(Number);
        return lo && hi && lo < hi ? [lo, hi] : DEFAULT_RANGE;
      },
      () => DEFAULT_RANGE,
    );
    return this.range;
  }

  /** The first port of `count` contiguous free host ports; rejects when there are none. */
  take(count: number, protocol: "tcp" | "udp"): Promise<number> {
    return this.lock.run(async () => {
      const [lo, hi] = await this.ephemeral();
      const free = protocol === "udp" ? udpFree : tcpFree;
      const search = async (from: number, to: number): Promise<number | undefined> => {
        let start = from;
        for (let port = from; port <= to; port++) {
          if (!(await free(port))) {
            start = port + 1;
            continue;
          }
          if (port - start + 1 === count) return start;
        }
        return undefined;
      };
      const from = this.last >= lo && this.last < hi ? this.last + 1 : lo;
      const first =
        (await search(from, hi)) ??
        (from > lo ? await search(lo, Math.min(hi, from + count - 2)) : undefined);
      if (first === undefined) throw new Error(`${count} contiguous host ports are unavailable`);
      this.last = first + count - 1;
      return first;
    });
  }
}
