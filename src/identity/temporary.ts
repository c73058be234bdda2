/** Resolves STS temporary credentials (ASIA… access key ids with a session token). */
import type { IdentityResolver } from "./identity.js";
import type { Principal } from "./principal.js";
import type { Sealer } from "./sealer.js";
import { openSessionToken, type SessionClaims } from "./session-token.js";

export function principalOfSession(claims: SessionClaims): Principal {
  return {
    arn: `arn:aws:sts::${claims.accountId}:assumed-role/${claims.role.name}/${claims.session}`,
    accountId: claims.accountId,
    userId: `${claims.role.id}:${claims.session}`,
    kind: "assumed-role",
    accessKeyId: claims.akid,
    role: claims.role,
    session: {
      name: claims.session,
      issuedAt: claims.issuedAt,
      expiresAt: claims.expiresAt,
      ...(claims.policy !== undefined ? { policy: claims.policy } : {}),
      ...(claims.policyArns ? { policyArns: claims.policyArns } : {}),
    },
  };
}

/**
 * Temporary credentials are self-contained: the token is opened (which proves Berth issued it) and
 * must belong to the access key id it came with. Expiry is enforced by signature verification.
 */
export function temporaryCredentials(opts: { sealer: Sealer; accountId: string }): IdentityResolver {
  // Opening a token costs a decryption and an inflate; requests repeat tokens, so keep a few.
  const cache = new Map<string, SessionClaims>();
  return {
    async resolve(accessKeyId, sessionToken) {
      if (!accessKeyId.startsWith("ASIA") || !sessionToken) return undefined;
      let claims = cache.get(sessionToken);
      if (!claims) {
        claims = openSessionToken(opts.sealer, sessionToken);
        if (!claims) return undefined;
        if (cache.size >= 1024) cache.delete(cache.keys().next().value!);
        cache.set(sessionToken, claims);
      }
      if (claims.akid !== accessKeyId || claims.accountId !== opts.accountId) return undefined;
      return {
        secret: { secretAccessKey: claims.secret, sessionToken, expiresAt: claims.expiresAt },
        principal: principalOfSession(claims),
      };
    },
  };
}
