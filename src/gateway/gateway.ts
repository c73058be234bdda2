/**
 * The front door: one HTTP port for every AWS protocol Berth speaks, plus path routes (health,
 * reset, and later the OCI registry and the agent API).
 *
 * For an AWS request: read the body (bounded) → recognise the protocol (X-Amz-Target: JSON;
 * form body or `Action`: Query) → verify SigV4 → find service and operation → decode and validate
 * the input against the service model → authorize (IAM policies) → run the handler → render output
 * or error. Every response carries x-amzn-RequestId.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authorizer } from "../authz/authorizer.js";
import { AwsError, Errors } from "../errors/catalog.js";
import type { IdentityResolver } from "../identity/identity.js";
import type { Principal } from "../identity/principal.js";
import type { Clock } from "../lib/clock.js";
import { uuid } from "../lib/ids.js";
import type { Logger } from "../lib/log.js";
import { decodeJsonInput, encodeJsonOutput } from "../protocol/json-codec.js";
import { decodeQueryInput, renderQueryResponse } from "../protocol/query-codec.js";
import { type SignableRequest, verifySigV4 } from "../protocol/sigv4.js";
import type { Protocol, RequestContext, ServiceDefinition } from "../services/service.js";
import { readBody } from "./body.js";
import { jsonContentType, send, sendError } from "./respond.js";

/** A handler for requests under a path prefix, outside the AWS protocols. */
export interface PathRoute {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void>;
}

export interface Caller {
  principal: Principal;
  region: string;
  service: string;
}

export interface GatewayOptions {
  services: readonly ServiceDefinition[];
  identity: IdentityResolver;
  /** Authorizes each request after authentication and input decoding (IAM policies). */
  authorizer?: Authorizer;
  clock: Clock;
  log: Logger;
  /** Fail loudly when a handler returns members the model does not know (tests). */
  strictOutput?: boolean;
  /** Largest AWS API request body accepted, in bytes. */
  bodyLimit?: number;
  routes?: readonly PathRoute[];
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Verify a request's SigV4 signature (for path routes that need authentication). */
  authenticate(req: IncomingMessage, body: Buffer): Promise<Caller>;
}

export const DEFAULT_BODY_LIMIT = 12 * 1024 * 1024;

function splitUrl(url: string): {
  rawPath: string;
  query: Record<string, string | string[]>;
  params: URLSearchParams;
} {
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { rawPath, query, params };
}

export function createGateway(opts: GatewayOptions): Gateway {
  const byTarget = new Map<string, ServiceDefinition>();
  const bySigningName = new Map<string, ServiceDefinition>();
  for (const s of opts.services) {
    if (s.targetPrefix) byTarget.set(s.targetPrefix, s);
    if (s.protocol === "awsQuery" || s.protocol === "ec2Query") bySigningName.set(s.signingName, s);
  }
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const strict = opts.strictOutput ?? false;

  async function authenticate(req: IncomingMessage, body: Buffer): Promise<Caller> {
    const { rawPath, query } = splitUrl(req.url ?? "/");
    const signable: SignableRequest = {
      method: req.method ?? "GET",
      rawPath,
      query,
      headers: req.headers,
      body,
    };
    let principal: Principal | undefined;
    const verified = await verifySigV4(
      signable,
      async (akid, token) => {
        const hit = await opts.identity.resolve(akid, token);
        principal = hit?.principal;
        return hit?.secret;
      },
      opts.clock.now(),
    );
    return { principal: principal!, region: verified.region, service: verified.service };
  }

  async function handleAws(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    receivedAt: number,
  ): Promise<void> {
    const target = req.headers["x-amz-target"];
    let protocol: Protocol = typeof target === "string" ? "awsJson1_1" : "awsQuery";
    let service: ServiceDefinition | undefined;
    try {
      const body = await readBody(req, bodyLimit);
      let operation: string;
      let params: URLSearchParams | undefined;
      if (typeof target === "string") {
        const dot = target.lastIndexOf(".");
        service = byTarget.get(target.slice(0, dot));
        operation = target.slice(dot + 1);
        if (!service || dot < 0) {
          throw new AwsError(Errors.UnknownOperation, `Berth does not serve the target '${target}'.`);
        }
        protocol = service.protocol;
      } else {
        const { params: urlParams } = splitUrl(req.url ?? "/");
        params = new URLSearchParams(urlParams);
        const ctype = String(req.headers["content-type"] ?? "");
        if (ctype.startsWith("application/x-www-form-urlencoded") && body.length > 0) {
          for (const [k, v] of new URLSearchParams(body.toString("utf8"))) params.append(k, v);
        }
        operation = params.get("Action") ?? "";
      }
      const caller = await authenticate(req, body);
      if (!service) {
        service = bySigningName.get(caller.service);
        if (!service) {
          throw new AwsError(
            Errors.UnknownOperation,
            `Berth does not serve a Query-protocol service signed as '${caller.service}'.`,
          );
        }
        protocol = service.protocol;
        if (!operation)
          throw new AwsError(Errors.MissingAction, "The request must contain the parameter Action.");
      } else if (caller.service !== service.signingName) {
        throw new AwsError(
          Errors.InvalidSignature,
          `Credential should be scoped to correct service: '${service.signingName}'.`,
        );
      }
      const op = service.model.operations.get(operation);
      if (!op) {
        throw new AwsError(
          Errors.UnknownOperation,
          `${service.title} has no operation named '${operation}'.`,
        );
      }
      const handler = service.handlers[operation];
      if (!handler) {
        const why = service.absent?.[operation];
        throw new AwsError(
          Errors.NotImplemented,
          why
            ? `Berth does not implement ${service.title} ${operation}: ${why}`
            : `Berth does not implement ${service.title} ${operation}; docs/COMPATIBILITY.md lists what it supports.`,
        );
      }
      let input: Record<string, unknown>;
      if (params) {
        input = decodeQueryInput(
          op.input,
          new Map(params),
          protocol === "ec2Query" ? "ec2" : "query",
          service.validationError,
        );
      } else {
        let json: unknown;
        try {
          json = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
        } catch {
          throw new AwsError(Errors.Serialization, "The request body is not valid JSON.");
        }
        input = decodeJsonInput(op.input, json, {
          validationError: service.validationError,
          ...(service.missingMessage ? { missingMessage: service.missingMessage } : {}),
        });
      }
      const sourceIp = req.socket.remoteAddress ?? "";
      const further = await opts.authorizer?.authorize({
        service,
        operation,
        input,
        principal: caller.principal,
        region: caller.region,
        sourceIp,
        now: receivedAt,
      });
      const ctx: RequestContext = {
        requestId,
        region: caller.region,
        accountId: caller.principal.accountId,
        principal: caller.principal,
        now: receivedAt,
        service: service.id,
        operation,
        sourceIp,
        log: opts.log.child({ requestId, op: `${service.id}:${operation}` }),
        ...(further ? { authorize: further } : {}),
      };
      const output = await handler(input as never, ctx);
      if (protocol === "awsQuery" || protocol === "ec2Query") {
        const xml = renderQueryResponse(operation, op.output, output, {
          xmlNamespace: service.xmlNamespace ?? "",
          requestId,
          flavor: protocol === "ec2Query" ? "ec2" : "query",
        });
        send(res, 200, "text/xml", xml, requestId);
      } else {
        const json = encodeJsonOutput(op.output, output, { strict });
        send(res, 200, jsonContentType(protocol), JSON.stringify(json), requestId);
      }
      opts.log.debug("request", {
        requestId,
        op: `${service.id}:${operation}`,
        ms: opts.clock.now() - receivedAt,
      });
    } catch (err) {
      const aws = toAwsError(err, opts.log, requestId);
      sendError(res, aws, requestId, protocol, service?.xmlNamespace);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = uuid();
    const receivedAt = opts.clock.now();
    const path = (req.url ?? "/").split("?")[0]!;
    const route = opts.routes?.find((r) => path.startsWith(r.prefix));
    const work = route ? route.handle(req, res, requestId) : handleAws(req, res, requestId, receivedAt);
    work.catch((err: unknown) => {
      const aws = toAwsError(err, opts.log, requestId);
      sendError(res, aws, requestId, "awsJson1_1");
    });
  }

  return { handle, authenticate };
}

function toAwsError(err: unknown, log: Logger, requestId: string): AwsError {
  if (err instanceof AwsError) return err;
  log.error("unexpected failure", {
    requestId,
    error: err instanceof Error ? err : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  return new AwsError(
    Errors.InternalFailure,
    `Berth failed to handle the request (request id ${requestId}).`,
  );
}
