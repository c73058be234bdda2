import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./credentials.js";

/** The token agents join with: generated once into <data-dir>/join-token (mode 0600). */
export async function loadJoinToken(dataDir: string, fromEnv?: string): Promise<string> {
  if (fromEnv) return fromEnv;
  const file = join(dataDir, "join-token");
  try {
    const t = (await readFile(file, "utf8")).trim();
    if (t) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString("base64url");
  await writeFileAtomic(file, `${token}\n`);
  return token;
}
