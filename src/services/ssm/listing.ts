/** DescribeParameters and GetParametersByPath. */
import type {
  DescribeParametersRequest,
  DescribeParametersResult,
  GetParametersByPathRequest,
  GetParametersByPathResult,
  Parameter,
  ParameterMetadata,
  ParametersFilter,
} from "@aws-sdk/client-ssm";
import { type FilterSubject, matchesAll, PATH_MESSAGE, validateFilters } from "../../domain/ssm/filters.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  current,
  type ParameterRecord,
  type ParameterVersionRecord,
  scanParameters,
} from "../../state/ssm/parameters.js";
import type { Handler } from "../service.js";
import {
  afterToken,
  Constraints,
  nextToken,
  renderMetadata,
  renderParameter,
  type SsmDeps,
} from "./common.js";

const BATCH = 256;

function subject(rec: ParameterRecord, v: ParameterVersionRecord, labels: readonly string[]): FilterSubject {
  return {
    name: rec.name,
    type: v.type,
    keyId: v.keyId,
    tier: rec.tier,
    dataType: v.dataType,
    tags: rec.tags,
    labels,
  };
}

/** The deprecated `Filters` of DescribeParameters: Name (prefix), Type and KeyId (equality). */
function validateOldFilters(filters: readonly ParametersFilter[] | undefined) {
  const c = new Constraints();
  (filters ?? []).forEach((f, i) => {
    const at = `filters.${i + 1}.member`;
    c.oneOf(`${at}.key`, f.Key, ["Name", "Type", "KeyId"]);
    c.length(`${at}.values`, f.Values, 1, 50);
    for (const v of f.Values ?? []) c.length(`${at}.values`, v, 1, 1024);
  });
  c.throwIfAny();
}

function matchesOld(filters: readonly ParametersFilter[] | undefined, s: FilterSubject): boolean {
  return (filters ?? []).every((f) => {
    const values = f.Values ?? [];
    if (f.Key === "Name") return values.some((v) => s.name.startsWith(v));
    if (f.Key === "Type") return values.includes(s.type);
    return s.keyId !== undefined && values.includes(s.keyId);
  });
}

export function listingHandlers(deps: SsmDeps) {
  const { store } = deps;

  const describeParameters: Handler<DescribeParametersRequest, DescribeParametersResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    c.range("maxResults", input.MaxResults, 1, 50);
    c.throwIfAny();
    if ((input.Filters?.length ?? 0) > 0 && (input.ParameterFilters?.length ?? 0) > 0) {
      throw new AwsError(
        Errors.Validation,
        "You can use either Filters or ParameterFilters in a single request.",
      );
    }
    validateOldFilters(input.Filters);
    validateFilters(input.ParameterFilters, "describe");
    const list = "ssm-describe";
    const limit = input.MaxResults ?? 50;
    return store.read(async (tx) => {
      let after = afterToken(list, input.NextToken);
      const out: ParameterMetadata[] = [];
      let more = false;
      for (;;) {
        const page = await scanParameters(tx, ctx.region, {
          limit: BATCH,
          ...(after !== undefined ? { afterName: after } : {}),
        });
        for (const r of page) {
          const s = subject(r.value, current(r.value), current(r.value).labels);
          if (!matchesAll(input.ParameterFilters, s) || !matchesOld(input.Filters, s)) continue;
          if (out.length === limit) {
            more = true;
            break;
          }
          out.push(renderMetadata(ctx, r.value));
        }
        if (more || page.length < BATCH) break;
        after = page[page.length - 1]!.value.name;
      }
      return {
        Parameters: out,
        ...(more ? { NextToken: nextToken(list, out[out.length - 1]!.Name!) } : {}),
      };
    });
  };

  const getParametersByPath: Handler<GetParametersByPathRequest, GetParametersByPathResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    c.length("path", input.Path, 1, 2048);
    c.range("maxResults", input.MaxResults, 1, 10);
    c.throwIfAny();
    const path = input.Path!.trim();
    if (!path.startsWith("/") || path.includes("//") || !/^[a-zA-Z0-9_.\-/]+$/.test(path)) {
      throw new AwsError(Errors.Validation, PATH_MESSAGE);
    }
    validateFilters(input.ParameterFilters, "path");
    const base = path.endsWith("/") ? path : `${path}/`;
    const recursive = input.Recursive ?? false;
    const labelFilter = input.ParameterFilters?.find((f) => f.Key === "Label");
    const list = `ssm-path:${recursive ? "r" : "o"}:${base}`;
    const limit = input.MaxResults ?? 10;
    return store.read(async (tx) => {
      let after = afterToken(list, input.NextToken);
      const out: Parameter[] = [];
      let more = false;
      for (;;) {
        const page = await scanParameters(tx, ctx.region, {
          prefix: base,
          limit: BATCH,
          ...(after !== undefined ? { afterName: after } : {}),
        });
        for (const r of page) {
          const rec = r.value;
          if (!recursive && rec.name.slice(base.length).includes("/")) continue;
          // A Label filter selects the (newest) version carrying one of the labels.
          const v = labelFilter
            ? [...rec.versions].reverse().find((x) => x.labels.some((l) => labelFilter.Values?.includes(l)))
            : current(rec);
          if (!v || !matchesAll(input.ParameterFilters, subject(rec, v, v.labels))) continue;
          if (out.length === limit) {
            more = true;
            break;
          }
          out.push(await renderParameter(tx, deps, ctx, rec, v, input.WithDecryption ?? false));
        }
        if (more || page.length < BATCH) break;
        after = page[page.length - 1]!.value.name;
      }
      return {
        Parameters: out,
        ...(more ? { NextToken: nextToken(list, out[out.length - 1]!.Name!) } : {}),
      };
    });
  };

  return { DescribeParameters: describeParameters, GetParametersByPath: getParametersByPath };
}
