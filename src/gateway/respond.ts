/** Writing AWS responses and errors in each protocol's format. */
import type { ServerResponse } from "node:http";
import type { AwsError } from "../errors/catalog.js";
import { renderQueryError } from "../protocol/query-codec.js";
import type { Protocol } from "../services/service.js";

export function jsonContentType(protocol: Protocol): string {
  return protocol === "awsJson1_0" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  requestId: string,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": requestId,
  });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  requestId: string,
  contentType = "application/json",
): void {
  send(res, status, contentType, JSON.stringify(value), requestId);
}

/** Render an error in the family the request came in (JSON or Query). */
export function sendError(
  res: ServerResponse,
  err: AwsError,
  requestId: string,
  protocol: Protocol,
  xmlNamespace?: string,
): void {
  if (protocol === "awsQuery" || protocol === "ec2Query") {
    const ec2 = protocol === "ec2Query" ? err.def.ec2 : undefined;
    const code = ec2?.code ?? err.def.query?.code ?? err.def.code;
    const status = ec2?.status ?? err.def.query?.status ?? err.def.status;
    const body = renderQueryError(code, err.message, err.def.fault, {
      requestId,
      flavor: protocol === "ec2Query" ? "ec2" : "query",
      ...(xmlNamespace ? { xmlNamespace } : {}),
    });
    send(res, status, "text/xml", body, requestId);
    return;
  }
  const body: Record<string, unknown> = { __type: err.def.code, message: err.message, ...err.fields };
  if (!res.headersSent) res.setHeader("x-amzn-errortype", err.def.code);
  send(res, err.def.status, jsonContentType(protocol), JSON.stringify(body), requestId);
}
