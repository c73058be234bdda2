/** Berth's own endpoints under /_berth/: health and reset. */

import { AwsError, Errors } from "../errors/catalog.js";
import { readBody } from "../gateway/body.js";
import type { Gateway, PathRoute } from "../gateway/gateway.js";
import { sendError, sendJson } from "../gateway/respond.js";

export interface InternalRouteOptions {
  version: string;
  isReady(): boolean;
  /** Wipes all state; runs every subsystem's reset. */
  reset(): Promise<void>;
  gateway(): Gateway;
}

export function internalRoutes(opts: InternalRouteOptions): PathRoute {
  return {
    prefix: "/_berth/",
    async handle(req, res, requestId) {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/_berth/health" && (req.method === "GET" || req.method === "HEAD")) {
        const ready = opts.isReady();
        sendJson(
          res,
          ready ? 200 : 503,
          { status: ready ? "ok" : "starting", version: opts.version },
          requestId,
        );
        return;
      }
      if (path === "/_berth/reset" && req.method === "POST") {
        try {
          const body = await readBody(req, 1024);
          const caller = await opts.gateway().authenticate(req, body);
          if (caller.principal.kind !== "root") {
            throw new AwsError(
              Errors.AccessDenied,
              `${caller.principal.arn} is not authorized to reset Berth; only the root credentials may.`,
            );
          }
          await opts.reset();
          sendJson(res, 200, { reset: true }, requestId);
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          sendError(res, err, requestId, "awsJson1_1");
        }
        return;
      }
      sendError(
        res,
        new AwsError(Errors.NotFound, `No Berth endpoint at ${req.method} ${path}.`),
        requestId,
        "awsJson1_1",
      );
    },
  };
}
