import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { IAM, nameKey } from "./kinds.js";
import type { RoleRecord, UserRecord } from "./records.js";

export const getUser = (tx: ReadTx, name: string) => tx.get<UserRecord>(IAM.user, nameKey(name));

export const putUser = (tx: WriteTx, rec: UserRecord, expectVersion?: number) =>
  tx.put(IAM.user, nameKey(rec.name), rec, expectVersion === undefined ? {} : { expectVersion });

export const deleteUser = (tx: WriteTx, name: string) => tx.delete(IAM.user, nameKey(name));

export const getRole = (tx: ReadTx, name: string) => tx.get<RoleRecord>(IAM.role, nameKey(name));

export const putRole = (tx: WriteTx, rec: RoleRecord, expectVersion?: number) =>
  tx.put(IAM.role, nameKey(rec.name), rec, expectVersion === undefined ? {} : { expectVersion });

export const deleteRole = (tx: WriteTx, name: string) => tx.delete(IAM.role, nameKey(name));

/** Users or roles in name order whose path starts with `pathPrefix`, after the record keyed `after`. */
export async function listPrincipals<T extends { path: string }>(
  tx: ReadTx,
  kind: typeof IAM.user | typeof IAM.role,
  opts: { pathPrefix: string; after?: string; limit: number },
): Promise<StoredRecord<T>[]> {
  const out: StoredRecord<T>[] = [];
  let after = opts.after;
  for (;;) {
    const page = await tx.scan<T>(kind, {
      prefix: "global/",
      ...(after !== undefined ? { after } : {}),
      limit: 256,
    });
    for (const r of page) {
      if (r.value.path.startsWith(opts.pathPrefix)) {
        out.push(r);
        if (out.length >= opts.limit) return out;
      }
    }
    if (page.length < 256) return out;
    after = page[page.length - 1]!.key;
  }
}
