/**
 * The DNS server awsvpc tasks use — the "Amazon-provided DNS" of their VPC. Tasks ask the VPC's DNS
 * address (VPC network + 2, or 169.254.169.253); the VPC router sends those packets here. It answers
 * EC2's private names (`ip-10-0-1-5.ec2.internal`, `ip-….<region>.compute.internal`) and the local
 * public names (`ec2-198-18-0-5.compute-1.amazonaws.com`) from the name itself, as AWS does, and
 * forwards every other question to the host's resolvers (/etc/resolv.conf), relaying the answer.
 * UDP and TCP (length-prefixed) on one port.
 */
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

const TYPE_A = 1;
const TYPE_ANY = 255;
const FORWARD_TIMEOUT_MS = 3000;

const PRIVATE =
  /^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.(?:ec2\.internal|[a-z0-9-]+\.compute\.internal)$/;
const PUBLIC =
  /^ec2-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.(?:compute-1|[a-z0-9-]+\.compute)\.amazonaws\.com$/;

/** The address an EC2-style name stands for, if it is one. */
export function addressOfName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, "");
  const m = PRIVATE.exec(n) ?? PUBLIC.exec(n);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : undefined;
}

interface Question {
  name: string;
  type: number;
  /** Offset just past the question section. */
  end: number;
}

function readQuestion(msg: Buffer): Question | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= msg.length) return undefined;
    const len = msg[i]!;
    if (len === 0) {
      i++;
      break;
    }
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.toString("latin1", i + 1, i + 1 + len));
    i += 1 + len;
  }
  if (i + 4 > msg.length) return undefined;
  return { name: labels.join("."), type: msg.readUInt16BE(i), end: i + 4 };
}

/** A reply to `query` with the question copied and one A record (or none, for other types). */
export function answer(query: Buffer, q: Question, ip: string | undefined): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080, 2); // QR, AA, RD copied, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ip ? 1 : 0, 6);
  const question = query.subarray(12, q.end);
  if (!ip) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  rr.writeUInt16BE(TYPE_A, 2);
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(4, 10);
  for (const [k, p] of ip.split(".").entries()) rr.writeUInt8(Number(p), 12 + k);
  return Buffer.concat([header, question, rr]);
}

function servfail(query: Buffer): Buffer {
  const out = Buffer.from(query.subarray(0, Math.min(query.length, 512)));
  if (out.length >= 4) out.writeUInt16BE(0x8182 | (query.readUInt16BE(2) & 0x0100), 2);
  return out;
}

/** The IPv4 resolvers of /etc/resolv.conf. */
export function hostResolvers(text = readFileSync("/etc/resolv.conf", "utf8")): string[] {
  return [...text.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!);
}

export class DnsServer {
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  port = 0;

  constructor(private readonly upstreams: readonly string[] = hostResolvers()) {}

  /** Answer one query: EC2 names here, everything else upstream. */
  async resolve(query: Buffer): Promise<Buffer> {
    const q = readQuestion(query);
    if (!q) return servfail(query);
    const ip = addressOfName(q.name);
    if (ip !== undefined) return answer(query, q, q.type === TYPE_A || q.type === TYPE_ANY ? ip : undefined);
    for (const upstream of this.upstreams) {
      const reply = await forward(query, upstream).catch(() => undefined);
      if (reply) return reply;
    }
    return servfail(query);
  }

  /** Listen on `address` (UDP and TCP, one port): `preferredPort` when free, else any. */
  async listen(address: string, preferredPort = 0): Promise<number> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const udp = createSocket("udp4");
      const bound = await new Promise<boolean>((resolve) => {
        udp.once("error", () => resolve(false));
        udp.bind(attempt === 0 ? preferredPort : 0, address, () => resolve(true));
      });
      if (!bound) {
        try {
          udp.close();
        } catch {
          // never bound
        }
        continue;
      }
      const port = udp.address().port;
      const tcp = createServer((conn) => this.serveTcp(conn));
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once("error", () => resolve(false));
        tcp.listen(port, address, () => resolve(true));
      });
      if (!ok) {
        udp.close();
        continue;
      }
      udp.on("message", (msg, from) => {
        void this.resolve(msg).then((reply) => udp.send(reply, from.port, from.address));
      });
      udp.on("error", () => undefined);
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      return port;
    }
    throw new Error(`could not listen for DNS on ${address}`);
  }

  private serveTcp(conn: import("node:net").Socket): void {
    let buf = Buffer.alloc(0);
    conn.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.resolve(Buffer.from(msg)).then((reply) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
    conn.on("error", () => undefined);
    conn.setTimeout(10_000, () => conn.destroy());
  }

  async close(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
    this.udp = undefined;
    this.tcp = undefined;
  }
}

/** Ask an upstream resolver (`address` or `address:port`). */
function forward(query: Buffer, upstream: string): Promise<Buffer> {
  const [address, port = "53"] = upstream.split(":");
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error("upstream timed out"));
    }, FORWARD_TIMEOUT_MS);
    sock.on("message", (msg) => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== query.readUInt16BE(0)) return;
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.send(query, Number(port), address);
  });
}
