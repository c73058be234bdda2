/** The agent's client for the agent API (see src/agentapi/protocol.ts). */
import type {
  CredentialsRequest,
  CredentialsResponse,
  LogsRequest,
  PollRequest,
  PollResponse,
  RegisterRequest,
  RegisterResponse,
  RegistryAuthRequest,
  RegistryAuthResponse,
  ReportRequest,
} from "../agentapi/protocol.js";
import { AGENT_API_PREFIX } from "../agentapi/protocol.js";

export class AgentApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AgentApiError";
  }
}

export class Session {
  private auth: { containerInstanceArn: string; instanceToken: string } | undefined;

  constructor(private readonly baseUrl: string) {}

  setCredentials(c: { containerInstanceArn: string; instanceToken: string }): void {
    this.auth = c;
  }

  private polling: AbortController | undefined;

  private async call<T>(op: string, body: unknown, timeoutMs: number, abort?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.auth) {
      headers.authorization = `Bearer ${this.auth.instanceToken}`;
      headers["x-berth-instance"] = this.auth.containerInstanceArn;
    }
    const res = await fetch(new URL(`${AGENT_API_PREFIX}${op}`, this.baseUrl), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: abort
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), abort])
        : AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // keep the text
      }
      throw new AgentApiError(res.status, message);
    }
    return JSON.parse(text) as T;
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.call("register", req, 15_000);
  }

  async poll(req: PollRequest): Promise<PollResponse> {
    const polling = new AbortController();
    this.polling = polling;
    try {
      return await this.call("poll", req, (req.waitMs ?? 20_000) + 15_000, polling.signal);
    } finally {
      if (this.polling === polling) this.polling = undefined;
    }
  }

  /** End the long poll in flight, if any (it rejects); the agent is stopping. */
  abortPoll(): void {
    this.polling?.abort();
  }

  report(req: ReportRequest): Promise<{ accepted: number }> {
    return this.call("report", req, 15_000);
  }

  credentials(req: CredentialsRequest): Promise<CredentialsResponse> {
    return this.call("credentials", req, 15_000);
  }

  registryAuth(req: RegistryAuthRequest): Promise<RegistryAuthResponse> {
    return this.call("registry-auth", req, 15_000);
  }

  logs(req: LogsRequest): Promise<unknown> {
    return this.call("logs", req, 30_000);
  }
}
