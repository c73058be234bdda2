/**
 * STS session tokens. A token carries its session — the temporary secret, the role, the session
 * name, issue and expiry times and the session policies — compressed and sealed, so Berth keeps no
 * per-session state: whoever presents the access key id with its token gets exactly that session,
 * and nobody can forge or alter one without the sealing key.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Sealer } from "./sealer.js";

export interface SessionClaims {
  readonly v: 1;
  /** The temporary access key id (ASIA…) the token belongs to. */
  readonly akid: string;
  readonly secret: string;
  readonly accountId: string;
  readonly role: { readonly arn: string; readonly name: string; readonly id: string };
  readonly session: string;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

const PURPOSE = "sts-session-token";

export function sealSessionToken(sealer: Sealer, claims: SessionClaims): string {
  return sealer.seal(deflateRawSync(Buffer.from(JSON.stringify(claims))), PURPOSE);
}

export function openSessionToken(sealer: Sealer, token: string): SessionClaims | undefined {
  const raw = sealer.open(token, PURPOSE);
  if (!raw) return undefined;
  try {
    const claims = JSON.parse(inflateRawSync(raw).toString("utf8")) as SessionClaims;
    return claims.v === 1 ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** The packed size of session policies, as the percentage of the allowance AssumeRole reports. */
export const PACKED_POLICY_LIMIT = 2048;
export function packedPolicySize(policy: string | undefined, policyArns: readonly string[]): number {
  if (policy === undefined && policyArns.length === 0) return 0;
  const packed = deflateRawSync(Buffer.from(JSON.stringify([policy ?? "", policyArns]))).length;
  return Math.ceil((packed / PACKED_POLICY_LIMIT) * 100);
}
