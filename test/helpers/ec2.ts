/** An EC2 client for a test Berth (kept apart from berth.ts: the EC2 SDK takes most of a second to load). */
import { EC2Client } from "@aws-sdk/client-ec2";
import type { ClientOptions, TestBerth } from "./berth.js";

export function ec2Client(
  b: Pick<TestBerth, "url" | "region" | "credentials">,
  o: ClientOptions = {},
): EC2Client {
  return new EC2Client({
    endpoint: b.url,
    region: o.region ?? b.region,
    credentials: o.credentials ?? b.credentials,
    maxAttempts: 1,
  });
}
