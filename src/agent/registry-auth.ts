/**
 * Pulling images from Berth's own registry (its ECR), as the ECS agent pulls from ECR: with a token
 * from GetAuthorizationToken called with the task execution role's credentials, so the role's
 * policies (and the repository's policy) decide.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import type { CredentialsResponse } from "../agentapi/protocol.js";
import { RESOURCE_INIT, SecretsError } from "./secrets.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost"]);

/**
 * The registry (a region, or `public`) of an image that lives in Berth's registry, which answers on
 * the control plane's address (or, when that is loopback, any loopback name with its port); else
 * undefined.
 */
export function berthRegistryOf(image: string, controlPlaneUrl: string): string | undefined {
  const slash = image.indexOf("/");
  if (slash < 0) return undefined;
  const cp = new URL(controlPlaneUrl);
  const host = image.slice(0, slash);
  const [name, port] = host.split(":");
  const same =
    host === cp.host || (LOOPBACK.has(cp.hostname) && LOOPBACK.has(name ?? "") && port === (cp.port || "80"));
  if (!same) return undefined;
  const registry = image.slice(slash + 1).split("/")[0];
  return registry && image.slice(slash + 1).includes("/") ? registry : undefined;
}

/** `AWS` and the password of an ECR authorization token issued to `credentials` in `region`. */
export async function ecrLogin(
  endpoint: string,
  region: string,
  credentials: CredentialsResponse,
): Promise<{ username: string; password: string }> {
  const client = new ECRClient({
    endpoint,
    region,
    maxAttempts: 2,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
  });
  try {
    const r = await client.send(new GetAuthorizationTokenCommand({}));
    const token = Buffer.from(r.authorizationData?.[0]?.authorizationToken ?? "", "base64").toString("utf8");
    const colon = token.indexOf(":");
    if (colon < 0) throw new Error("the authorization token is malformed");
    return { username: token.slice(0, colon), password: token.slice(colon + 1) };
  } catch (err) {
    const e = err as { name?: string; message?: string };
    throw new SecretsError(
      `${RESOURCE_INIT} unable to retrieve ecr registry auth: service call has been retried 1 time(s): ${e.name ?? "Error"}: ${e.message ?? String(err)}`,
    );
  } finally {
    client.destroy();
  }
}
