/**
 * Registry credentials. GetAuthorizationToken hands out `base64("AWS:" + password)`; the password is
 * a token Berth signs with a key of its own (kept in the data dir), naming the access key it was
 * issued to, the registry (region, or `public`) and the expiry. Verifying a token re-resolves the
 * access key, so a token dies with its key. A role session's temporary key cannot be re-resolved
 * without its session token (Berth keeps no per-session state), so a token issued to a session
 * carries the session itself (role, name, times, session policies), protected by the signature,
 * and expires with it. Anonymous bearer tokens (ECR Public pulls) carry no key.
 *
 * A token may also be limited to pulling from named repositories (`pullOnly`): the route then refuses
 * any other operation and any other repository before IAM is consulted. Container instances get
 * such tokens for the images of a task without an execution role (src/agentapi/server.ts): issued
 * to the account's key (so the token dies with it), but only able to pull those images, and only
 * for PULL_TOKEN_TTL_MS. The limit is part of the signed body, so it cannot be stripped.
 *
 * Signed download URLs (GetDownloadUrlForLayer) use the same key.
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { constantTimeEqual } from "../crypto/constant-time.js";

/** ECR's lifetime of an authorization token. */
export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
export const DOWNLOAD_URL_TTL_MS = 60 * 60 * 1000;
/** Lifetime of a pull-only token for a container instance: enough for one task's pulls. */
export const PULL_TOKEN_TTL_MS = 30 * 60 * 1000;

/** The role session a token was issued to (what its Principal is rebuilt from). */
export interface TokenSession {
  role: { arn: string; name: string; id: string };
  userId: string;
  name: string;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
  policy?: string;
  policyArns?: string[];
}

export interface TokenClaims {
  /** The access key id the token was issued to; undefined for an anonymous token. */
  accessKeyId?: string;
  principalArn?: string;
  /** Set when the token was issued to a role session. */
  session?: TokenSession;
  /** Region, or `public`. */
  registry: string;
  /** Epoch ms. */
  expiresAt: number;
  /** When set, the token may only pull (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability) from these repositories of `registry`. */
  pullOnly?: string[];
}

interface Wire {
  k?: string;
  p?: string;
  s?: TokenSession;
  r: string;
  e: number;
  n: string;
  o?: string[];
}

export class RegistryTokens {
  constructor(private readonly key: Buffer) {}

  /** Load the signing key from `path`, creating it (mode 0600) on first use. */
  static fromFile(path: string): RegistryTokens {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      try {
        writeFileSync(path, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    return new RegistryTokens(Buffer.from(readFileSync(path, "utf8").trim(), "base64"));
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("base64url");
  }

  issue(claims: TokenClaims): string {
    const wire: Wire = { r: claims.registry, e: claims.expiresAt, n: randomBytes(6).toString("base64url") };
    if (claims.accessKeyId) wire.k = claims.accessKeyId;
    if (claims.principalArn) wire.p = claims.principalArn;
    if (claims.session) wire.s = claims.session;
    if (claims.pullOnly) wire.o = claims.pullOnly;
    const body = Buffer.from(JSON.stringify(wire)).toString("base64url");
    return `${body}.${this.mac(body)}`;
  }

  /** The claims of a genuine, unexpired token; undefined otherwise. */
  verify(token: string, now: number): TokenClaims | undefined {
    const dot = token.indexOf(".");
    if (dot < 0 || token.length > 16384) return undefined;
    const body = token.slice(0, dot);
    const sig = Buffer.from(token.slice(dot + 1));
    const want = Buffer.from(this.mac(body));
    if (!constantTimeEqual(sig, want)) return undefined;
    let wire: Wire;
    try {
      wire = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Wire;
    } catch {
      return undefined;
    }
    if (typeof wire.e !== "number" || wire.e <= now || typeof wire.r !== "string") return undefined;
    const claims: TokenClaims = { registry: wire.r, expiresAt: wire.e };
    if (typeof wire.k === "string") claims.accessKeyId = wire.k;
    if (typeof wire.p === "string") claims.principalArn = wire.p;
    if (typeof wire.s === "object" && wire.s !== null) claims.session = wire.s;
    if (wire.o !== undefined) {
      // A limit that cannot be read must not fall back to no limit.
      if (!Array.isArray(wire.o) || !wire.o.every((n) => typeof n === "string")) return undefined;
      claims.pullOnly = wire.o;
    }
    return claims;
  }

  /** A signature over a blob download (`registry/name@digest`) valid until `expiresAt`. */
  signDownload(path: string, expiresAt: number): string {
    return `${expiresAt}.${this.mac(`download\n${path}\n${expiresAt}`)}`;
  }

  verifyDownload(path: string, signature: string, now: number): boolean {
    const dot = signature.indexOf(".");
    const exp = Number(signature.slice(0, dot));
    if (dot < 0 || !Number.isSafeInteger(exp) || exp <= now) return false;
    const sig = Buffer.from(signature.slice(dot + 1));
    const want = Buffer.from(this.mac(`download\n${path}\n${exp}`));
    return constantTimeEqual(sig, want);
  }
}
