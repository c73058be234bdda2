import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { accessKeyId, secretAccessKey } from "../lib/ids.js";

export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Where they came from, for the start-up banner. */
  source: "environment" | "data-dir" | "generated";
}

export const credentialsFile = (dataDir: string) => join(dataDir, "credentials.json");

/** Write a file so that a crash leaves either the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, data, { mode, flush: true });
  await rename(tmp, path);
}

/** Root credentials: from the environment, else the data dir, else generated once and stored there. */
export async function loadRootCredentials(config: Config): Promise<RootCredentials> {
  if (config.accessKeyId && config.secretAccessKey) {
    return {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      source: "environment",
    };
  }
  const file = credentialsFile(config.dataDir);
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<RootCredentials>;
    if (typeof parsed.accessKeyId === "string" && typeof parsed.secretAccessKey === "string") {
      return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey, source: "data-dir" };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const creds = { accessKeyId: accessKeyId(), secretAccessKey: secretAccessKey() };
  await writeFileAtomic(file, `${JSON.stringify(creds, null, 2)}\n`);
  return { ...creds, source: "generated" };
}
