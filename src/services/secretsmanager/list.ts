/** ListSecrets. */
import type {
  ListSecretsRequest,
  ListSecretsResponse,
  SecretListEntry,
} from "@aws-sdk/client-secrets-manager";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { matchesFilters, validateSecretFilters } from "../../domain/secretsmanager/filters.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { type SecretRecord, scanSecrets } from "../../state/secretsmanager/secrets.js";
import type { Handler } from "../service.js";
import { Constraints, isGone, type SecretsManagerDeps } from "./common.js";
import { describe } from "./secrets.js";

const SORT_BY = ["created-date", "last-accessed-date", "last-changed-date", "name"];

function entry(rec: SecretRecord): SecretListEntry {
  const { VersionIdsToStages, ...rest } = describe(rec);
  return { ...rest, ...(VersionIdsToStages ? { SecretVersionsToStages: VersionIdsToStages } : {}) };
}

function sortKey(rec: SecretRecord, by: string): number | string {
  if (by === "name") return rec.name;
  if (by === "last-changed-date") return rec.lastChanged;
  if (by === "last-accessed-date") return rec.lastAccessed ?? 0;
  return rec.created;
}

export function listHandlers(deps: SecretsManagerDeps) {
  const { store } = deps;

  const listSecrets: Handler<ListSecretsRequest, ListSecretsResponse> = async (input, ctx) => {
    const c = new Constraints();
    c.range("maxResults", input.MaxResults, 1, 100);
    c.length("nextToken", input.NextToken, 1, 4096);
    c.oneOf("sortOrder", input.SortOrder, ["asc", "desc"]);
    c.oneOf("sortBy", input.SortBy, SORT_BY);
    c.throwIfAny();
    validateSecretFilters(input.Filters);
    const by = input.SortBy ?? "created-date";
    const desc = input.SortOrder === "desc";
    // The token names the listing (sort and filters) and how far it got.
    const list = `sm-list:${by}:${desc ? "d" : "a"}:${input.IncludePlannedDeletion ? 1 : 0}:${JSON.stringify(input.Filters ?? [])}`;
    let offset = 0;
    if (input.NextToken !== undefined) {
      const at = decodeToken(list, input.NextToken);
      if (at === undefined || !/^\d+$/.test(at)) {
        throw new AwsError(Errors.SmInvalidNextToken, "The nextToken is not valid.");
      }
      offset = Number(at);
    }
    const limit = input.MaxResults ?? 100;
    return store.read(async (tx) => {
      const all: SecretRecord[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await scanSecrets(tx, {
          prefix: `${ctx.region}/`,
          limit: 500,
          ...(after !== undefined ? { after } : {}),
        });
        for (const r of page) {
          const rec = r.value;
          if (isGone(rec, ctx.now)) continue;
          if (rec.deletedAt !== undefined && !input.IncludePlannedDeletion) continue;
          if (matchesFilters(input.Filters, rec)) all.push(rec);
        }
        if (page.length < 500) break;
        after = page[page.length - 1]!.key;
      }
      all.sort((a, b) => {
        const ka = sortKey(a, by);
        const kb = sortKey(b, by);
        const cmp = ka < kb ? -1 : ka > kb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
        return desc ? -cmp : cmp;
      });
      const page = all.slice(offset, offset + limit);
      return {
        SecretList: page.map(entry),
        ...(offset + limit < all.length ? { NextToken: encodeToken(list, String(offset + limit)) } : {}),
      };
    });
  };

  return { ListSecrets: listSecrets };
}
