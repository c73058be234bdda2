/**
 * Role credentials for the tasks an agent runs, fetched from the control plane and kept until a
 * quarter of their life is left, so what a task reads from 169.254.170.2 is always fresh.
 */
import type { CredentialsResponse } from "../agentapi/protocol.js";
import type { Clock } from "../lib/clock.js";

export type Fetch = (taskArn: string, role: "task" | "execution") => Promise<CredentialsResponse>;

export class TaskCredentials {
  private readonly cache = new Map<string, { value: CredentialsResponse; issuedAt: number }>();
  private readonly inflight = new Map<string, Promise<CredentialsResponse>>();

  constructor(
    private readonly fetch: Fetch,
    private readonly clock: Clock,
  ) {}

  async get(taskArn: string, role: "task" | "execution"): Promise<CredentialsResponse> {
    const key = `${role}|${taskArn}`;
    const hit = this.cache.get(key);
    const now = this.clock.now();
    if (hit && now < hit.value.expiration - (hit.value.expiration - hit.issuedAt) / 4) return hit.value;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(taskArn, role).then(
        (value) => {
          this.cache.set(key, { value, issuedAt: now });
          this.inflight.delete(key);
          return value;
        },
        (err: unknown) => {
          this.inflight.delete(key);
          throw err;
        },
      );
      this.inflight.set(key, p);
    }
    return p;
  }

  forget(taskArn: string): void {
    for (const key of [...this.cache.keys()]) if (key.endsWith(`|${taskArn}`)) this.cache.delete(key);
  }
}

/** The JSON the ECS credentials endpoint serves (what AWS SDKs' container provider reads). */
export function credentialsDocument(c: CredentialsResponse) {
  return {
    RoleArn: c.roleArn,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    Token: c.sessionToken,
    Expiration: new Date(c.expiration).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}
