/** The agent's client for the agent API (see src/agentapi/protocol.ts). */
import type {
  LogsRequest,
  PollRequest,
  PollResponse,
  RegisterRequest,
  RegisterResponse,
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
  private credentials: { containerInstanceArn: string; instanceToken: string } | undefined;
  /** Aborts the long-polls under way (an agent that stops does not wait for its poll to end). */
  private polls = new AbortController();

  constructor(private readonly baseUrl: string) {}

  setCredentials(c: { containerInstanceArn: string; instanceToken: string }): void {
    this.credentials = c;
  }

  /** End the polls under way now (they reject); later polls work as before. */
  cancelPolls(): void {
    this.polls.abort();
    this.polls = new AbortController();
  }

  private async call<T>(op: string, body: unknown, timeoutMs: number, cancel?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.credentials) {
      headers.authorization = `Bearer ${this.credentials.instanceToken}`;
      headers["x-berth-instance"] = this.credentials.containerInstanceArn;
    }
    const res = await fetch(new URL(`${AGENT_API_PREFIX}${op}`, this.baseUrl), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: cancel
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), cancel])
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

  poll(req: PollRequest): Promise<PollResponse> {
    return this.call("poll", req, (req.waitMs ?? 20_000) + 15_000, this.polls.signal);
  }

  report(req: ReportRequest): Promise<{ accepted: number }> {
    return this.call("report", req, 15_000);
  }

  logs(req: LogsRequest): Promise<unknown> {
    return this.call("logs", req, 30_000);
  }
}
