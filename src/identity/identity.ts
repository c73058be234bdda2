import type { SigningSecret } from "../protocol/sigv4.js";
import { type Principal, rootArn } from "./principal.js";

/** Resolves access key ids (and, for temporary credentials, session tokens) to a secret and a principal. */
export interface IdentityResolver {
  resolve(
    accessKeyId: string,
    sessionToken?: string,
  ): Promise<{ secret: SigningSecret; principal: Principal } | undefined>;
}

/** The root credentials from configuration. */
export function rootIdentity(opts: {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}): IdentityResolver {
  const principal: Principal = {
    arn: rootArn(opts.accountId),
    accountId: opts.accountId,
    userId: opts.accountId,
    kind: "root",
    accessKeyId: opts.accessKeyId,
  };
  return {
    async resolve(accessKeyId) {
      return accessKeyId === opts.accessKeyId
        ? { secret: { secretAccessKey: opts.secretAccessKey }, principal }
        : undefined;
    },
  };
}

/** Ask several resolvers in order; the first that knows the key answers. */
export function chainIdentity(...resolvers: IdentityResolver[]): IdentityResolver {
  return {
    async resolve(accessKeyId, sessionToken) {
      for (const r of resolvers) {
        const hit = await r.resolve(accessKeyId, sessionToken);
        if (hit) return hit;
      }
      return undefined;
    },
  };
}
