/**
 * Issuing STS temporary credentials for a role: AssumeRole uses it, and so will the task-role
 * credentials endpoint (a task's role assumed on its behalf). Pure apart from randomness: the
 * session lives entirely in the sealed token (see session-token.ts).
 */
import { accessKeyId, secretAccessKey } from "../lib/ids.js";
import type { Sealer } from "./sealer.js";
import { type SessionClaims, sealSessionToken } from "./session-token.js";

export interface RoleSessionRequest {
  readonly accountId: string;
  readonly role: { readonly arn: string; readonly name: string; readonly id: string };
  readonly sessionName: string;
  /** Epoch ms. */
  readonly now: number;
  readonly durationSeconds: number;
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** arn:aws:sts::<account>:assumed-role/<role>/<session> */
  readonly assumedRoleArn: string;
  /** <role id>:<session name> */
  readonly assumedRoleId: string;
}

export function issueRoleSession(sealer: Sealer, req: RoleSessionRequest): IssuedCredentials {
  const claims: SessionClaims = {
    v: 1,
    akid: accessKeyId("ASIA"),
    secret: secretAccessKey(),
    accountId: req.accountId,
    role: { arn: req.role.arn, name: req.role.name, id: req.role.id },
    session: req.sessionName,
    issuedAt: req.now,
    expiresAt: req.now + req.durationSeconds * 1000,
    ...(req.policy !== undefined ? { policy: req.policy } : {}),
    ...(req.policyArns && req.policyArns.length > 0 ? { policyArns: req.policyArns } : {}),
  };
  return {
    accessKeyId: claims.akid,
    secretAccessKey: claims.secret,
    sessionToken: sealSessionToken(sealer, claims),
    expiresAt: claims.expiresAt,
    assumedRoleArn: `arn:aws:sts::${req.accountId}:assumed-role/${req.role.name}/${req.sessionName}`,
    assumedRoleId: `${req.role.id}:${req.sessionName}`,
  };
}
