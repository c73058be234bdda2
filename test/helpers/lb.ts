/** Load balancer test tools: free ports, small HTTP and TCP targets, and a bounded request loop. */
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";

/** A port nothing listens on right now (listen on 0, close). */
export async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface HttpTarget {
  name: string;
  port: number;
  /** Requests served (health checks excluded). */
  served(): number;
  /** Status /health answers (200 by default). */
  setHealth(status: number): void;
  close(): Promise<void>;
}

/** An HTTP server that answers `<name> <path>` (and echoes X-Forwarded-* headers as JSON on /headers). */
export async function httpTarget(name: string): Promise<HttpTarget> {
  let health = 200;
  let served = 0;
  const server: Server = createHttpServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(health).end(health === 200 ? "ok" : "sick");
      return;
    }
    served++;
    if (req.url === "/headers") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(req.headers));
      return;
    }
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    served: () => served,
    setHealth: (s) => {
      health = s;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A TCP server that writes back what it reads. */
export async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** Bodies (first 40 characters) by count. */
  bodies: Map<string, number>;
  errors: string[];
}

/**
 * Send requests to `url` from `concurrency` keep-alive clients until `until()` says stop (checked
 * between requests), but at most `max` requests in all. A request fails on a network error or a
 * status other than 200.
 */
export async function load(
  url: string,
  opts: { until: () => boolean; max?: number; concurrency?: number },
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: 0, bodies: new Map(), errors: [] };
  let sent = 0;
  const max = opts.max ?? 100_000;
  const worker = async () => {
    while (!opts.until() && sent < max) {
      sent++;
      try {
        // A request that hangs fails after 10 s rather than stalling the test.
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status === 200) {
          result.ok++;
          const k = body.slice(0, 40);
          result.bodies.set(k, (result.bodies.get(k) ?? 0) + 1);
        } else {
          result.failed++;
          if (result.errors.length < 10) result.errors.push(`${res.status} ${body.slice(0, 80)}`);
        }
      } catch (err) {
        result.failed++;
        if (result.errors.length < 10) result.errors.push(String((err as Error).cause ?? err));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, worker));
  return result;
}
