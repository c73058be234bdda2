/**
 * The policies of users and roles: attaching managed policies (Attach/Detach/ListAttached…Policies)
 * and inline policies (Put/Get/Delete/List…Policy). Users and roles behave alike; the two sets of
 * operations differ in names, quotas and wording only.
 */
import { checkName, checkPathPrefix, encodePolicy, policySize } from "../../domain/iam/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getAttachments, putAttachments } from "../../state/iam/policies.js";
import type { RoleRecord, UserRecord } from "../../state/iam/records.js";
import { putRole, putUser } from "../../state/iam/users.js";
import type { ReadTx, Store, StoredRecord, WriteTx } from "../../state/store.js";
import type { Handler } from "../service.js";
import {
  attachedOut,
  checkPolicyArn,
  findPolicy,
  maxItems,
  mustGetRole,
  mustGetUser,
  page,
} from "./common.js";
import { checkDocument, ROLE_INLINE_SIZE, USER_INLINE_SIZE } from "./policy-checks.js";

/** Attached managed policies per user or role. */
export const MAX_ATTACHED = 10;

interface Kind<R extends UserRecord | RoleRecord> {
  /** "User" or "Role", as in operation names. */
  readonly noun: "User" | "Role";
  readonly nameMember: "UserName" | "RoleName";
  readonly get: (tx: ReadTx, name: string) => Promise<StoredRecord<R>>;
  readonly put: (tx: WriteTx, rec: R, version: number) => Promise<unknown>;
  readonly attachmentList: "users" | "roles";
  readonly inlineQuota: number;
}

const USER: Kind<UserRecord> = {
  noun: "User",
  nameMember: "UserName",
  get: mustGetUser,
  put: (tx, rec, version) => putUser(tx, rec, version),
  attachmentList: "users",
  inlineQuota: USER_INLINE_SIZE,
};

const ROLE: Kind<RoleRecord> = {
  noun: "Role",
  nameMember: "RoleName",
  get: mustGetRole,
  put: (tx, rec, version) => putRole(tx, rec, version),
  attachmentList: "roles",
  inlineQuota: ROLE_INLINE_SIZE,
};

type Input = Record<string, unknown>;

function handlersFor<R extends UserRecord | RoleRecord>(store: Store, k: Kind<R>): Record<string, Handler> {
  const who = (input: Input) => input[k.nameMember] as string;
  const noun = k.noun.toLowerCase();

  const attach: Handler<Input> = async (input, ctx) => {
    const arn = input.PolicyArn as string;
    checkPolicyArn(arn);
    await store.write(async (tx) => {
      const rec = await k.get(tx, who(input));
      const policy = await findPolicy(tx, arn, ctx.accountId);
      if (!policy)
        throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} does not exist or is not attachable.`);
      if (rec.value.attached.includes(arn)) return;
      if (rec.value.attached.length >= MAX_ATTACHED) {
        throw new AwsError(
          Errors.IamLimitExceeded,
          `Cannot exceed quota for PoliciesPer${k.noun}: ${MAX_ATTACHED}`,
        );
      }
      await k.put(tx, { ...rec.value, attached: [...rec.value.attached, arn] }, rec.version);
      const a = await getAttachments(tx, arn);
      await putAttachments(tx, arn, { ...a, [k.attachmentList]: [...a[k.attachmentList], rec.value.name] });
    });
    return {};
  };

  const detach: Handler<Input> = async (input) => {
    const arn = input.PolicyArn as string;
    checkPolicyArn(arn);
    await store.write(async (tx) => {
      const rec = await k.get(tx, who(input));
      if (!rec.value.attached.includes(arn))
        throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} was not found.`);
      await k.put(tx, { ...rec.value, attached: rec.value.attached.filter((a) => a !== arn) }, rec.version);
      const a = await getAttachments(tx, arn);
      const name = rec.value.name.toLowerCase();
      await putAttachments(tx, arn, {
        ...a,
        [k.attachmentList]: a[k.attachmentList].filter((n) => n.toLowerCase() !== name),
      });
    });
    return {};
  };

  const listAttached: Handler<Input> = async (input) => {
    const prefix = checkPathPrefix("pathPrefix", input.PathPrefix as string | undefined);
    const limit = maxItems(input.MaxItems as number | undefined);
    const rec = await store.read((tx) => k.get(tx, who(input)));
    const policies = rec.value.attached
      .filter((arn) => arn.slice(arn.indexOf(":policy") + ":policy".length).startsWith(prefix))
      .map(attachedOut);
    const p = page(policies, input.Marker as string | undefined, limit);
    return {
      AttachedPolicies: p.items,
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  };

  const putInline: Handler<Input> = async (input) => {
    const name = input.PolicyName as string;
    const doc = input.PolicyDocument as string;
    checkName("policyName", name, 128);
    checkDocument("policyDocument", doc, "identity");
    await store.write(async (tx) => {
      const rec = await k.get(tx, who(input));
      const inline = { ...rec.value.inline, [name]: doc };
      const total = Object.values(inline).reduce((n, d) => n + policySize(d), 0);
      if (total > k.inlineQuota) {
        throw new AwsError(
          Errors.IamLimitExceeded,
          `Maximum policy size of ${k.inlineQuota} bytes exceeded for ${noun} ${rec.value.name}`,
        );
      }
      await k.put(tx, { ...rec.value, inline }, rec.version);
    });
    return {};
  };

  const getInline: Handler<Input> = async (input) => {
    const name = input.PolicyName as string;
    const rec = await store.read((tx) => k.get(tx, who(input)));
    const doc = Object.hasOwn(rec.value.inline, name) ? rec.value.inline[name] : undefined;
    if (doc === undefined) {
      throw new AwsError(Errors.NoSuchEntity, `The ${noun} policy with name ${name} cannot be found.`);
    }
    return { [k.nameMember]: rec.value.name, PolicyName: name, PolicyDocument: encodePolicy(doc) };
  };

  const deleteInline: Handler<Input> = async (input) => {
    const name = input.PolicyName as string;
    await store.write(async (tx) => {
      const rec = await k.get(tx, who(input));
      if (!Object.hasOwn(rec.value.inline, name)) {
        throw new AwsError(Errors.NoSuchEntity, `The ${noun} policy with name ${name} cannot be found.`);
      }
      const { [name]: _gone, ...inline } = rec.value.inline;
      await k.put(tx, { ...rec.value, inline }, rec.version);
    });
    return {};
  };

  const listInline: Handler<Input> = async (input) => {
    const limit = maxItems(input.MaxItems as number | undefined);
    const rec = await store.read((tx) => k.get(tx, who(input)));
    const p = page(Object.keys(rec.value.inline), input.Marker as string | undefined, limit);
    return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  };

  const n = k.noun;
  return {
    [`Attach${n}Policy`]: attach,
    [`Detach${n}Policy`]: detach,
    [`ListAttached${n}Policies`]: listAttached,
    [`Put${n}Policy`]: putInline,
    [`Get${n}Policy`]: getInline,
    [`Delete${n}Policy`]: deleteInline,
    [`List${n}Policies`]: listInline,
  } as Record<string, Handler>;
}

export function principalPolicyHandlers(store: Store): Record<string, Handler> {
  return { ...handlersFor(store, USER), ...handlersFor(store, ROLE) };
}
