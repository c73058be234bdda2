/** Resolves IAM users' access keys (created by CreateAccessKey) from the store. */
import { getAccessKey } from "../state/iam/access-keys.js";
import { getUser } from "../state/iam/users.js";
import type { IamGeneration } from "../state/iam/watch.js";
import type { Store } from "../state/store.js";
import type { IdentityResolver } from "./identity.js";
import type { Principal } from "./principal.js";
import type { Sealer } from "./sealer.js";

/** The Sealer purpose of IAM secret access keys. */
export const ACCESS_KEY_PURPOSE = "iam-secret-access-key";

type Hit = Awaited<ReturnType<IdentityResolver["resolve"]>>;

export function iamAccessKeys(opts: {
  store: Store;
  sealer: Sealer;
  accountId: string;
  generation: IamGeneration;
}): IdentityResolver {
  const cache = new Map<string, { generation: number; hit: Hit }>();
  return {
    async resolve(accessKeyId) {
      if (!accessKeyId.startsWith("AKIA")) return undefined;
      const generation = opts.generation.current();
      const cached = cache.get(accessKeyId);
      if (cached && cached.generation === generation) return cached.hit;
      const hit = await opts.store.read(async (tx): Promise<Hit> => {
        const key = await getAccessKey(tx, accessKeyId);
        if (key?.value.status !== "Active") return undefined;
        const user = await getUser(tx, key.value.userName);
        if (!user) return undefined;
        const secret = opts.sealer.open(key.value.sealedSecret, ACCESS_KEY_PURPOSE);
        if (!secret) return undefined;
        const principal: Principal = {
          arn: user.value.arn,
          accountId: opts.accountId,
          userId: user.value.id,
          kind: "user",
          accessKeyId,
          userName: user.value.name,
        };
        return { secret: { secretAccessKey: secret.toString("utf8") }, principal };
      });
      if (cache.size >= 4096) cache.clear();
      cache.set(accessKeyId, { generation, hit });
      return hit;
    },
  };
}
