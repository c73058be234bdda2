import { parseArgs } from "node:util";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { loadConfig } from "../config/config.js";
import { loadRootCredentials } from "./credentials.js";

/** `berth reset`: POST /_berth/reset, SigV4-signed with the root credentials. */
export async function resetCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      endpoint: { type: "string" },
      "data-dir": { type: "string" },
      port: { type: "string" },
      region: { type: "string" },
    },
  });
  const config = loadConfig(process.env, values);
  const creds = await loadRootCredentials(config);
  const endpoint = new URL(values.endpoint ?? `http://127.0.0.1:${config.port}`);
  const signer = new SignatureV4({
    service: "berth",
    region: config.region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: Number(endpoint.port) || 80,
    path: "/_berth/reset",
    query: {},
    headers: { host: endpoint.host, "content-type": "application/json" },
    body: "{}",
  });
  const res = await fetch(new URL("/_berth/reset", endpoint), {
    method: "POST",
    headers: signed.headers,
    body: "{}",
  });
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`berth reset failed (${res.status}): ${text}\n`);
    return 1;
  }
  process.stdout.write(`Berth at ${endpoint.origin} was reset.\n`);
  return 0;
}
