/** AddTags, RemoveTags, DescribeTags on load balancers, target groups, listeners and rules. */
import type {
  AddTagsInput,
  DescribeTagsInput,
  DescribeTagsOutput,
  RemoveTagsInput,
  Tag,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { checkTags, invalid, mergeTags } from "../../domain/elbv2/validate.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { ReadTx, Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import {
  findLb,
  findListener,
  findRule,
  findTg,
  lbNotFound,
  listenerNotFound,
  ruleNotFound,
  tgNotFound,
} from "./common.js";

interface Tagged {
  tags: Tag[];
  /** Store the new tags in the same transaction. */
  save(tx: WriteTx, tags: Tag[]): Promise<void>;
}

async function resource(tx: ReadTx, ctx: RequestContext, arn: string): Promise<Tagged> {
  const kind = /:(loadbalancer|targetgroup|listener|listener-rule)\//.exec(arn)?.[1];
  switch (kind) {
    case "loadbalancer": {
      const r = await findLb(tx, ctx, arn);
      if (!r) throw lbNotFound();
      return { tags: r.value.tags, save: (w, tags) => put(w, ELB.loadBalancer, r, tags) };
    }
    case "targetgroup": {
      const r = await findTg(tx, ctx, arn);
      if (!r) throw tgNotFound();
      return { tags: r.value.tags, save: (w, tags) => put(w, ELB.targetGroup, r, tags) };
    }
    case "listener": {
      const r = await findListener(tx, ctx, arn);
      if (!r) throw listenerNotFound();
      return { tags: r.value.tags, save: (w, tags) => put(w, ELB.listener, r, tags) };
    }
    case "listener-rule": {
      const r = await findRule(tx, ctx, arn);
      if (!r) throw ruleNotFound();
      if (r.kind === "default") {
        const l = r.listener;
        return {
          tags: l.value.defaultRuleTags ?? [],
          save: async (w, tags) => {
            await w.put(
              ELB.listener,
              l.key,
              { ...l.value, defaultRuleTags: tags },
              { expectVersion: l.version },
            );
          },
        };
      }
      return { tags: r.rec.value.tags, save: (w, tags) => put(w, ELB.rule, r.rec, tags) };
    }
    default:
      throw invalid(`'${arn}' is not a valid load balancer, target group, listener or rule ARN`);
  }
}

async function put<T extends { tags: Tag[] }>(
  tx: WriteTx,
  kind: string,
  rec: { key: string; version: number; value: T },
  tags: Tag[],
): Promise<void> {
  await tx.put(kind, rec.key, { ...rec.value, tags }, { expectVersion: rec.version });
}

function checkArns(arns: readonly string[] | undefined, max: number): string[] {
  const list = [...(arns ?? [])];
  if (list.length === 0) throw invalid("At least one resource ARN must be specified");
  if (list.length > max) throw invalid(`You can specify up to ${max} resource ARNs`);
  return list;
}

export function tagHandlers(store: Store) {
  const add: Handler<AddTagsInput> = async (input, ctx) => {
    const arns = checkArns(input.ResourceArns, 20);
    const tags = checkTags(input.Tags);
    if (tags.length === 0) throw invalid("At least one tag must be specified");
    await store.write(async (tx) => {
      for (const arn of arns) {
        const r = await resource(tx, ctx, arn);
        await r.save(tx, mergeTags(r.tags, tags, arn));
      }
    });
    return {};
  };

  const remove: Handler<RemoveTagsInput> = async (input, ctx) => {
    const arns = checkArns(input.ResourceArns, 20);
    const keys = new Set(input.TagKeys ?? []);
    if (keys.size === 0) throw invalid("At least one tag key must be specified");
    await store.write(async (tx) => {
      for (const arn of arns) {
        const r = await resource(tx, ctx, arn);
        await r.save(
          tx,
          r.tags.filter((t) => !keys.has(t.Key!)),
        );
      }
    });
    return {};
  };

  const describe: Handler<DescribeTagsInput, DescribeTagsOutput> = (input, ctx) => {
    const arns = checkArns(input.ResourceArns, 20);
    return store.read(async (tx) => {
      const out = [];
      for (const arn of arns) out.push({ ResourceArn: arn, Tags: (await resource(tx, ctx, arn)).tags });
      return { TagDescriptions: out };
    });
  };

  return { AddTags: add, RemoveTags: remove, DescribeTags: describe };
}
