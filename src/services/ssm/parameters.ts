/**
 * Parameter Store: PutParameter, GetParameter(s), DeleteParameter(s), GetParameterHistory and
 * (Un)LabelParameterVersion.
 */
import type {
  DeleteParameterRequest,
  DeleteParameterResult,
  DeleteParametersRequest,
  DeleteParametersResult,
  GetParameterHistoryRequest,
  GetParameterHistoryResult,
  GetParameterRequest,
  GetParameterResult,
  GetParametersRequest,
  GetParametersResult,
  LabelParameterVersionRequest,
  LabelParameterVersionResult,
  Parameter,
  PutParameterRequest,
  PutParameterResult,
  UnlabelParameterVersionRequest,
  UnlabelParameterVersionResult,
} from "@aws-sdk/client-ssm";
import {
  isValidLabel,
  normalizeName,
  type ParameterRef,
  parseReference,
  validateNewName,
} from "../../domain/ssm/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { SafeRegex } from "../../lib/safe-regex.js";
import {
  current,
  deleteParameter,
  getParameter,
  type ParameterRecord,
  type ParameterType,
  type ParameterVersionRecord,
  putParameter,
  type StoredTier,
  secureValueKey,
} from "../../state/ssm/parameters.js";
import type { ReadTx, StoredRecord } from "../../state/store.js";
import { dropFrom, sealInto } from "../../state/vault.js";
import { kmsCause, resolveKey } from "../kms/keys.js";
import type { Handler, RequestContext } from "../service.js";
import {
  afterToken,
  Constraints,
  mergeTags,
  nextToken,
  parameterNotFound,
  renderHistory,
  renderParameter,
  type SsmDeps,
  validateTags,
  versionNotFound,
} from "./common.js";

const TYPES = ["String", "StringList", "SecureString"];
const TIERS = ["Standard", "Advanced", "Intelligent-Tiering"];
const DATA_TYPES = ["text", "aws:ec2:image", "aws:ssm:integration"];
const MAX_VERSIONS = 100;
const LIMIT: Record<StoredTier, number> = { Standard: 4096, Advanced: 8192 };

const ADVANCED_DOCS =
  "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";

function checkName(c: Constraints, path: string, name: string | undefined) {
  c.length(path, name, 1, 2048);
}

/** Pick the version a reference selects, or undefined. */
function select(rec: ParameterRecord, ref: ParameterRef): ParameterVersionRecord | undefined {
  const sel = ref.selector;
  if (!sel) return current(rec);
  if ("version" in sel) return rec.versions.find((v) => v.version === sel.version);
  return rec.versions.find((v) => v.labels.includes(sel.label));
}

/** Find the record a name or ARN (without selector) names. */
async function findByName(
  tx: ReadTx,
  ctx: RequestContext,
  nameOrArn: string,
): Promise<StoredRecord<ParameterRecord> | undefined> {
  const ref = parseReference(nameOrArn, ctx.region, ctx.accountId);
  if (!ref || ref.selector) return undefined;
  return getParameter(tx, ctx.region, ref.name);
}

function tierFor(
  requested: string | undefined,
  existing: StoredTier | undefined,
  valueLength: number,
): StoredTier {
  let tier: StoredTier;
  if (requested === "Intelligent-Tiering") {
    tier = existing === "Advanced" || valueLength > LIMIT.Standard ? "Advanced" : "Standard";
  } else {
    tier = (requested as StoredTier | undefined) ?? existing ?? "Standard";
  }
  if (existing === "Advanced" && tier === "Standard") {
    throw new AwsError(
      Errors.Validation,
      "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
    );
  }
  if (valueLength > LIMIT[tier]) {
    throw new AwsError(
      Errors.Validation,
      tier === "Standard"
        ? `Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see ${ADVANCED_DOCS}`
        : `Advanced tier parameters support a maximum parameter value of 8192 characters. For more information, see ${ADVANCED_DOCS}`,
    );
  }
  return tier;
}

/**
 * The value must match AllowedPattern whole. The pattern is the caller's, so it runs with a time
 * budget (SafeRegex); one that takes longer than that on this value is reported as not matching,
 * with the error of a mismatch.
 */
function checkAllowedPattern(pattern: string | undefined, value: string) {
  if (pattern === undefined || pattern === "") return;
  let re: SafeRegex;
  try {
    // AWS matches the whole value (Java's Pattern.matches); the pattern is a JavaScript regex here.
    re = new SafeRegex(`^(?:${pattern})$`, "u");
  } catch {
    throw new AwsError(
      Errors.InvalidAllowedPattern,
      `The allowed pattern ${pattern} is not a valid regular expression.`,
    );
  }
  if (re.test(value) !== true) {
    throw new AwsError(
      Errors.Validation,
      `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
    );
  }
}

export function parameterHandlers(deps: SsmDeps) {
  const { store } = deps;

  const putParameterHandler: Handler<PutParameterRequest, PutParameterResult> = async (input, ctx) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    c.length("value", input.Value, 1, Number.MAX_SAFE_INTEGER, true);
    c.length("description", input.Description, 0, 1024);
    c.length("keyId", input.KeyId, 1, 256);
    c.pattern("keyId", input.KeyId, /^([a-zA-Z0-9:/_-]+)$/, "^([a-zA-Z0-9:/_-]+)$");
    c.length("allowedPattern", input.AllowedPattern, 0, 1024);
    c.length("policies", input.Policies, 1, 4096);
    c.length("dataType", input.DataType, 0, 128);
    c.oneOf("type", input.Type, TYPES);
    c.oneOf("tier", input.Tier, TIERS);
    validateTags(c, input.Tags);
    c.throwIfAny();
    const name = normalizeName(input.Name!);
    validateNewName(name);
    const value = input.Value!;
    if (input.Tags !== undefined && input.Tags.length > 0 && input.Overwrite) {
      throw new AwsError(
        Errors.Validation,
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      );
    }
    if (input.Policies !== undefined) {
      throw new AwsError(
        Errors.Validation,
        "Berth does not support parameter policies (Expiration, ExpirationNotification, NoChangeNotification).",
      );
    }
    if (input.DataType !== undefined && !DATA_TYPES.includes(input.DataType)) {
      throw new AwsError(
        Errors.Validation,
        `The following data type is not supported: ${input.DataType} (Data type names are all lowercase.)`,
      );
    }
    const valueLength = [...value].length;
    return store.write(async (tx) => {
      const existing = await getParameter(tx, ctx.region, name);
      const prev = existing ? current(existing.value) : undefined;
      if (existing && !input.Overwrite) {
        throw new AwsError(
          Errors.ParameterAlreadyExists,
          "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
        );
      }
      const type = (input.Type ?? prev?.type) as ParameterType | undefined;
      if (!type)
        throw new AwsError(Errors.Validation, "A parameter type is required when you create a parameter.");
      if (prev && (prev.type === "SecureString") !== (type === "SecureString")) {
        throw new AwsError(
          Errors.HierarchyTypeMismatch,
          `Parameter Store doesn't support changing a parameter type from ${prev.type} to ${type}. You must create a new, unique parameter.`,
        );
      }
      const tier = tierFor(input.Tier, existing?.value.tier, valueLength);
      const description = input.Description ?? prev?.description;
      const allowedPattern = input.AllowedPattern ?? prev?.allowedPattern;
      checkAllowedPattern(allowedPattern, value);
      const versions = existing ? [...existing.value.versions] : [];
      const version = prev ? prev.version + 1 : 1;
      if (versions.length >= MAX_VERSIONS) {
        const oldest = versions[0]!;
        if (oldest.labels.length > 0) {
          throw new AwsError(
            Errors.ParameterMaxVersionLimitExceeded,
            `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
          );
        }
        versions.shift();
        if (oldest.type === "SecureString")
          await dropFrom(tx, secureValueKey(ctx.region, name, oldest.version));
      }
      const next: ParameterVersionRecord = {
        version,
        type,
        dataType: input.DataType ?? prev?.dataType ?? "text",
        tier,
        labels: [],
        lastModified: ctx.now,
        lastModifiedUser: ctx.principal.arn,
        ...(description !== undefined ? { description } : {}),
        ...(allowedPattern !== undefined ? { allowedPattern } : {}),
      };
      if (type === "SecureString") {
        const keyRef = input.KeyId ?? prev?.keyId ?? "alias/aws/ssm";
        let key: Awaited<ReturnType<typeof resolveKey>>;
        try {
          key = await resolveKey(tx, deps.keyring.get(), ctx, keyRef, { requireEnabled: true });
        } catch (err) {
          if (err instanceof AwsError) throw new AwsError(Errors.InvalidKeyId, kmsCause(err));
          throw err;
        }
        next.keyId = keyRef;
        next.kmsKeyId = key.value.keyId;
        await sealInto(tx, deps.keyring.get(), secureValueKey(ctx.region, name, version), value);
      } else {
        next.value = value;
      }
      versions.push(next);
      const tags = existing ? existing.value.tags : mergeTags([], input.Tags ?? []);
      await putParameter(tx, ctx.region, { name, tier, tags, versions }, existing?.version ?? 0);
      return { Version: version, Tier: tier };
    });
  };

  const getParameterHandler: Handler<GetParameterRequest, GetParameterResult> = async (input, ctx) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    c.throwIfAny();
    return store.read(async (tx) => {
      const ref = parseReference(input.Name!, ctx.region, ctx.accountId);
      if (!ref) throw parameterNotFound();
      const rec = await getParameter(tx, ctx.region, ref.name);
      if (!rec) throw parameterNotFound();
      const v = select(rec.value, ref);
      if (!v) {
        if (ref.selector && "version" in ref.selector) throw versionNotFound(ref.name, ref.selector.version);
        throw parameterNotFound();
      }
      return {
        Parameter: await renderParameter(
          tx,
          deps,
          ctx,
          rec.value,
          v,
          input.WithDecryption ?? false,
          ref.selectorText,
        ),
      };
    });
  };

  const getParametersHandler: Handler<GetParametersRequest, GetParametersResult> = async (input, ctx) => {
    const c = new Constraints();
    c.length("names", input.Names, 1, 10);
    for (const [i, n] of (input.Names ?? []).entries()) checkName(c, `names.${i + 1}.member`, n);
    c.throwIfAny();
    return store.read(async (tx) => {
      const found: Parameter[] = [];
      const invalid: string[] = [];
      for (const asked of [...new Set(input.Names!)]) {
        const ref = parseReference(asked, ctx.region, ctx.accountId);
        const rec = ref ? await getParameter(tx, ctx.region, ref.name) : undefined;
        const v = rec && ref ? select(rec.value, ref) : undefined;
        if (!rec || !v || !ref) {
          invalid.push(asked);
          continue;
        }
        found.push(
          await renderParameter(tx, deps, ctx, rec.value, v, input.WithDecryption ?? false, ref.selectorText),
        );
      }
      return { Parameters: found, InvalidParameters: invalid };
    });
  };

  const deleteParameterHandler: Handler<DeleteParameterRequest, DeleteParameterResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    c.throwIfAny();
    return store.write(async (tx) => {
      const rec = await findByName(tx, ctx, input.Name!);
      if (!rec || !(await deleteParameter(tx, ctx.region, rec.value.name))) throw parameterNotFound();
      return {};
    });
  };

  const deleteParametersHandler: Handler<DeleteParametersRequest, DeleteParametersResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    c.length("names", input.Names, 1, 10);
    for (const [i, n] of (input.Names ?? []).entries()) checkName(c, `names.${i + 1}.member`, n);
    c.throwIfAny();
    return store.write(async (tx) => {
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const asked of [...new Set(input.Names!)]) {
        const rec = await findByName(tx, ctx, asked);
        if (rec && (await deleteParameter(tx, ctx.region, rec.value.name))) deleted.push(asked);
        else invalid.push(asked);
      }
      return { DeletedParameters: deleted, InvalidParameters: invalid };
    });
  };

  const getParameterHistoryHandler: Handler<GetParameterHistoryRequest, GetParameterHistoryResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    c.range("maxResults", input.MaxResults, 1, 50);
    c.throwIfAny();
    return store.read(async (tx) => {
      const rec = await findByName(tx, ctx, input.Name!);
      if (!rec) throw parameterNotFound();
      const list = `ssm-history:${rec.value.name}`;
      const after = afterToken(list, input.NextToken);
      const limit = input.MaxResults ?? 50;
      const rest = rec.value.versions.filter((v) => after === undefined || v.version > Number(after));
      const page = rest.slice(0, limit);
      const out = [];
      for (const v of page)
        out.push(await renderHistory(tx, deps, ctx, rec.value, v, input.WithDecryption ?? false));
      return {
        Parameters: out,
        ...(rest.length > limit
          ? { NextToken: nextToken(list, String(page[page.length - 1]!.version)) }
          : {}),
      };
    });
  };

  /** Shared start of (Un)LabelParameterVersion: validate, find the parameter and the version. */
  async function labelTarget(
    tx: ReadTx,
    ctx: RequestContext,
    name: string,
    version: number | undefined,
  ): Promise<{ rec: StoredRecord<ParameterRecord>; version: number }> {
    const rec = await findByName(tx, ctx, name);
    if (!rec) throw parameterNotFound();
    const v = version ?? current(rec.value).version;
    if (!rec.value.versions.some((x) => x.version === v)) throw versionNotFound(rec.value.name, v);
    return { rec, version: v };
  }

  function checkLabels(c: Constraints, labels: readonly string[] | undefined) {
    c.length("labels", labels, 1, 10);
    for (const l of labels ?? []) {
      if (l.length < 1 || l.length > 100) {
        c.add(
          "labels",
          `[${l}]`,
          "Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]",
        );
      }
    }
  }

  const labelHandler: Handler<LabelParameterVersionRequest, LabelParameterVersionResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    checkLabels(c, input.Labels);
    c.throwIfAny();
    return store.write(async (tx) => {
      const { rec, version } = await labelTarget(tx, ctx, input.Name!, input.ParameterVersion);
      const labels = [...new Set(input.Labels!)];
      const invalid = labels.filter((l) => !isValidLabel(l));
      const valid = labels.filter((l) => isValidLabel(l));
      const versions = rec.value.versions.map((v) => {
        if (v.version === version) return { ...v, labels: [...new Set([...v.labels, ...valid])] };
        return { ...v, labels: v.labels.filter((l) => !valid.includes(l)) };
      });
      const target = versions.find((v) => v.version === version)!;
      if (target.labels.length > 10) {
        throw new AwsError(
          Errors.ParameterVersionLabelLimitExceeded,
          "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.",
        );
      }
      await putParameter(tx, ctx.region, { ...rec.value, versions }, rec.version);
      return { InvalidLabels: invalid, ParameterVersion: version };
    });
  };

  const unlabelHandler: Handler<UnlabelParameterVersionRequest, UnlabelParameterVersionResult> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    checkName(c, "name", input.Name);
    checkLabels(c, input.Labels);
    c.throwIfAny();
    return store.write(async (tx) => {
      const { rec, version } = await labelTarget(tx, ctx, input.Name!, input.ParameterVersion);
      const target = rec.value.versions.find((v) => v.version === version)!;
      const labels = [...new Set(input.Labels!)];
      const removed = labels.filter((l) => target.labels.includes(l));
      const invalid = labels.filter((l) => !target.labels.includes(l));
      if (removed.length > 0) {
        const versions = rec.value.versions.map((v) =>
          v.version === version ? { ...v, labels: v.labels.filter((l) => !removed.includes(l)) } : v,
        );
        await putParameter(tx, ctx.region, { ...rec.value, versions }, rec.version);
      }
      return { RemovedLabels: removed, InvalidLabels: invalid };
    });
  };

  return {
    PutParameter: putParameterHandler,
    GetParameter: getParameterHandler,
    GetParameters: getParametersHandler,
    DeleteParameter: deleteParameterHandler,
    DeleteParameters: deleteParametersHandler,
    GetParameterHistory: getParameterHistoryHandler,
    LabelParameterVersion: labelHandler,
    UnlabelParameterVersion: unlabelHandler,
  };
}
