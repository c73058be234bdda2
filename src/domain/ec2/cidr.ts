/**
 * IPv4 addresses and CIDR blocks as numbers: parsing, containment, overlap, and the addresses a
 * subnet hands out. AWS reserves five addresses of every subnet (network, VPC router, DNS, future
 * use, broadcast), so the first usable host is the network address + 4.
 */

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

/** Parse a dotted-quad address, or undefined when it is not one. */
export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export const formatIp = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** Parse `a.b.c.d/n`. With `strict` (the default) host bits must be zero; otherwise they are cleared. */
export function parseCidr(s: string, strict = true): Cidr | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > 32) return undefined;
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export const formatCidr = (c: Cidr): string => `${formatIp(c.base)}/${c.prefix}`;

export const size = (c: Cidr): number => 2 ** (32 - c.prefix);

export const containsIp = (c: Cidr, ip: number): boolean => (ip & mask(c.prefix)) >>> 0 === c.base;

/** Is `inner` wholly inside `outer`? */
export const containsCidr = (outer: Cidr, inner: Cidr): boolean =>
  inner.prefix >= outer.prefix && containsIp(outer, inner.base);

export const overlaps = (a: Cidr, b: Cidr): boolean => containsCidr(a, b) || containsCidr(b, a);

/** The VPC router's address in a subnet (network + 1), the default gateway of its interfaces. */
export const gatewayOf = (c: Cidr): number => c.base + 1;

/** The Amazon-provided DNS server of a VPC: the VPC network address + 2. */
export const dnsServerOf = (vpc: Cidr): number => vpc.base + 2;

/** Addresses a subnet can hand out: all but the five AWS reserves. */
export const usableCount = (c: Cidr): number => Math.max(0, size(c) - 5);

/** The first and last address interfaces may get. */
export function usableRange(c: Cidr): { first: number; last: number } {
  return { first: c.base + 4, last: c.base + size(c) - 2 };
}

/** `ip-10-0-1-5.ec2.internal` (us-east-1) or `ip-10-0-1-5.<region>.compute.internal`. */
export function privateDnsName(ip: string, region: string): string {
  return `ip-${ip.replace(/\./g, "-")}.${privateDnsDomain(region)}`;
}

export const privateDnsDomain = (region: string): string =>
  region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`;
