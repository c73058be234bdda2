/**
 * The vault: every secret byte Berth keeps at rest lives here, sealed by the master keyring, one
 * record per value. Resource records (parameters, secrets, KMS keys) hold metadata only and name
 * their vault entries by key. The record key is the value's identity and is authenticated with it,
 * so a sealed value copied under another key does not open.
 *
 * Keys start with the region, then the service: `us-east-1/ssm/<name>#0000000003`.
 */
import type { Keyring, Sealed } from "../crypto/keyring.js";
import type { ReadTx, Store, WriteTx } from "./store.js";

export const VAULT = "vault";

const aad = (key: string) => `berth-vault:${key}`;

export async function sealInto(
  tx: WriteTx,
  keyring: Keyring,
  key: string,
  plaintext: Buffer | string,
): Promise<void> {
  await tx.put<Sealed>(VAULT, key, keyring.seal(plaintext, aad(key)));
}

/** The plaintext under `key`, or undefined when there is none. */
export async function openFrom(tx: ReadTx, keyring: Keyring, key: string): Promise<Buffer | undefined> {
  const rec = await tx.get<Sealed>(VAULT, key);
  return rec ? keyring.open(rec.value, aad(key)) : undefined;
}

export async function dropFrom(tx: WriteTx, key: string): Promise<void> {
  await tx.delete(VAULT, key);
}

/** Delete every vault entry under a key prefix. */
export async function dropPrefix(tx: WriteTx, prefix: string): Promise<number> {
  let n = 0;
  for (;;) {
    const page = await tx.scan<Sealed>(VAULT, { prefix, limit: 500 });
    for (const r of page) {
      await tx.delete(VAULT, r.key);
      n++;
    }
    if (page.length < 500) return n;
  }
}

export interface RewrapReport {
  /** Vault entries in total. */
  total: number;
  /** Entries resealed under the primary key by this run. */
  resealed: number;
  /** Entries per master key id before the run. */
  byKey: Record<string, number>;
}

/**
 * Reseal every vault entry that another key sealed under the keyring's primary key (the second half
 * of a master-key rotation). Works in batches, one transaction each, so a large vault does not hold
 * the store for long; running it again after an interruption finishes the job.
 */
export async function rewrapVault(store: Store, keyring: Keyring, batch = 200): Promise<RewrapReport> {
  const report: RewrapReport = { total: 0, resealed: 0, byKey: {} };
  let after: string | undefined;
  for (;;) {
    const page = await store.write(async (tx) => {
      const recs = await tx.scan<Sealed>(VAULT, { limit: batch, ...(after !== undefined ? { after } : {}) });
      for (const r of recs) {
        report.total++;
        report.byKey[r.value.kid] = (report.byKey[r.value.kid] ?? 0) + 1;
        if (!keyring.isStale(r.value)) continue;
        const plain = keyring.open(r.value, aad(r.key));
        await tx.put<Sealed>(VAULT, r.key, keyring.seal(plain, aad(r.key)), { expectVersion: r.version });
        plain.fill(0);
        report.resealed++;
      }
      return recs;
    });
    if (page.length < batch) return report;
    after = page[page.length - 1]!.key;
  }
}
