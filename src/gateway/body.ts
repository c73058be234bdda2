import type { IncomingMessage } from "node:http";
import { AwsError, Errors } from "../errors/catalog.js";

/** Read a request body fully, refusing more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      reject(
        new AwsError(
          Errors.RequestEntityTooLarge,
          `Request body of ${declared} bytes exceeds the limit of ${limit} bytes.`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(
          new AwsError(Errors.RequestEntityTooLarge, `Request body exceeds the limit of ${limit} bytes.`),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}
