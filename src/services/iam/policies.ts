/** IAM managed policies: create, read, list, delete, versions, tags and the entities using them. */
import type {
  CreatePolicyRequest,
  CreatePolicyResponse,
  CreatePolicyVersionRequest,
  CreatePolicyVersionResponse,
  DeletePolicyRequest,
  DeletePolicyVersionRequest,
  GetPolicyRequest,
  GetPolicyResponse,
  GetPolicyVersionRequest,
  GetPolicyVersionResponse,
  ListEntitiesForPolicyRequest,
  ListEntitiesForPolicyResponse,
  ListPoliciesRequest,
  ListPoliciesResponse,
  ListPolicyTagsRequest,
  ListPolicyTagsResponse,
  ListPolicyVersionsRequest,
  ListPolicyVersionsResponse,
  Policy,
  PolicyVersion,
  SetDefaultPolicyVersionRequest,
  TagPolicyRequest,
  UntagPolicyRequest,
} from "@aws-sdk/client-iam";
import {
  AWS_MANAGED_POLICIES,
  type AwsManagedPolicy,
  awsManagedPolicy,
} from "../../domain/iam/aws-managed.js";
import {
  checkLength,
  checkName,
  checkPath,
  checkPathPrefix,
  encodePolicy,
  iamId,
  policyArn,
} from "../../domain/iam/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  deleteAttachments,
  deletePolicy,
  getAttachments,
  getPolicy,
  putPolicy,
  scanPolicies,
} from "../../state/iam/policies.js";
import type { ManagedPolicyRecord, PolicyAttachments } from "../../state/iam/records.js";
import { getRole, getUser } from "../../state/iam/users.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import {
  checkPolicyArn,
  findPolicy,
  maxItems,
  mergeTags,
  mustGetCustomerPolicy,
  page,
  removeTags,
} from "./common.js";
import { checkManagedPolicy } from "./policy-checks.js";

export const MAX_VERSIONS = 5;
const VERSION_ID = /^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$/;

const attachmentCount = (a: PolicyAttachments) => a.users.length + a.roles.length;

function customerOut(p: ManagedPolicyRecord, a: PolicyAttachments, withDescription: boolean): Policy {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: attachmentCount(a),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    ...(withDescription && p.description !== undefined ? { Description: p.description } : {}),
    CreateDate: new Date(p.createDate),
    UpdateDate: new Date(p.updateDate),
    ...(withDescription && p.tags.length > 0 ? { Tags: p.tags } : {}),
  };
}

function awsOut(p: AwsManagedPolicy, a: PolicyAttachments, withDescription: boolean): Policy {
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.versionId,
    AttachmentCount: attachmentCount(a),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    ...(withDescription ? { Description: p.description } : {}),
    CreateDate: new Date(p.createDate),
    UpdateDate: new Date(p.updateDate),
  };
}

function checkVersionId(v: string): void {
  if (!VERSION_ID.test(v)) {
    throw new AwsError(
      Errors.Validation,
      `1 validation error detected: Value '${v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?`,
    );
  }
}

function noVersion(arn: string, v: string): AwsError {
  return new AwsError(Errors.NoSuchEntity, `Policy ${arn} version ${v} does not exist.`);
}

export function policyHandlers(store: Store): Record<string, Handler> {
  const create: Handler<CreatePolicyRequest, CreatePolicyResponse> = async (input, ctx) => {
    const name = input.PolicyName!;
    checkName("policyName", name, 128);
    const path = checkPath("path", input.Path);
    checkLength("description", input.Description, 0, 1000);
    checkManagedPolicy(input.PolicyDocument!);
    const tags = mergeTags([], input.Tags);
    return store.write(async (tx) => {
      if (await getPolicy(tx, name)) {
        throw new AwsError(
          Errors.EntityAlreadyExists,
          `A policy called ${name} already exists. Duplicate names are not allowed.`,
        );
      }
      const rec: ManagedPolicyRecord = {
        name,
        id: iamId("ANPA"),
        arn: policyArn(ctx.accountId, path, name),
        path,
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        createDate: ctx.now,
        updateDate: ctx.now,
        defaultVersionId: "v1",
        nextVersion: 2,
        versions: [{ versionId: "v1", document: input.PolicyDocument!, createDate: ctx.now }],
        tags,
      };
      await putPolicy(tx, rec, 0);
      const out = customerOut(rec, { users: [], roles: [] }, false);
      return { Policy: { ...out, ...(tags.length > 0 ? { Tags: tags } : {}) } };
    });
  };

  const get: Handler<GetPolicyRequest, GetPolicyResponse> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    return store.read(async (tx) => {
      const p = await findPolicy(tx, arn, ctx.accountId);
      if (!p) throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} was not found.`);
      const a = await getAttachments(tx, arn);
      return {
        Policy:
          p.kind === "aws" ? awsOut(awsManagedPolicy(arn)!, a, true) : customerOut(p.rec.value, a, true),
      };
    });
  };

  const del: Handler<DeletePolicyRequest> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    await store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, arn, ctx.accountId);
      if (attachmentCount(await getAttachments(tx, arn)) > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete a policy attached to entities.");
      }
      if (rec.value.versions.length > 1) {
        throw new AwsError(
          Errors.DeleteConflict,
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      await deletePolicy(tx, rec.value.name);
      await deleteAttachments(tx, arn);
    });
    return {};
  };

  const list: Handler<ListPoliciesRequest, ListPoliciesResponse> = async (input) => {
    const scope = input.Scope ?? "All";
    const prefix = checkPathPrefix("pathPrefix", input.PathPrefix);
    const limit = maxItems(input.MaxItems);
    if (input.PolicyUsageFilter === "PermissionsBoundary") {
      return { Policies: [], IsTruncated: false };
    }
    const all = await store.read(async (tx) => {
      const out: Policy[] = [];
      if (scope !== "Local") {
        for (const p of [...AWS_MANAGED_POLICIES].sort((a, b) => (a.name < b.name ? -1 : 1))) {
          out.push(awsOut(p, await getAttachments(tx, p.arn), false));
        }
      }
      if (scope !== "AWS") {
        for (const r of await scanPolicies(tx))
          out.push(customerOut(r.value, await getAttachments(tx, r.value.arn), false));
      }
      return out;
    });
    const wanted = all.filter(
      (p) => p.Path!.startsWith(prefix) && (!input.OnlyAttached || (p.AttachmentCount ?? 0) > 0),
    );
    const p = page(wanted, input.Marker, limit);
    return { Policies: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  };

  const createVersion: Handler<CreatePolicyVersionRequest, CreatePolicyVersionResponse> = async (
    input,
    ctx,
  ) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    checkManagedPolicy(input.PolicyDocument!);
    return store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, arn, ctx.accountId);
      if (rec.value.versions.length >= MAX_VERSIONS) {
        throw new AwsError(
          Errors.IamLimitExceeded,
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const versionId = `v${rec.value.nextVersion}`;
      const next: ManagedPolicyRecord = {
        ...rec.value,
        nextVersion: rec.value.nextVersion + 1,
        versions: [
          ...rec.value.versions,
          { versionId, document: input.PolicyDocument!, createDate: ctx.now },
        ],
        updateDate: ctx.now,
        ...(input.SetAsDefault ? { defaultVersionId: versionId } : {}),
      };
      await putPolicy(tx, next, rec.version);
      return {
        PolicyVersion: {
          VersionId: versionId,
          IsDefaultVersion: next.defaultVersionId === versionId,
          CreateDate: new Date(ctx.now),
        },
      };
    });
  };

  async function versionsOf(tx: ReadTx, arn: string, accountId: string) {
    const p = await findPolicy(tx, arn, accountId);
    if (!p) throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} was not found.`);
    if (p.kind === "aws") {
      const a = awsManagedPolicy(arn)!;
      return {
        defaultVersionId: a.versionId,
        versions: [{ versionId: a.versionId, document: a.document, createDate: a.createDate }],
      };
    }
    return p.rec.value;
  }

  const getVersion: Handler<GetPolicyVersionRequest, GetPolicyVersionResponse> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    checkVersionId(input.VersionId!);
    const p = await store.read((tx) => versionsOf(tx, arn, ctx.accountId));
    const v = p.versions.find((x) => x.versionId === input.VersionId);
    if (!v) throw noVersion(arn, input.VersionId!);
    return {
      PolicyVersion: {
        Document: encodePolicy(v.document),
        VersionId: v.versionId,
        IsDefaultVersion: v.versionId === p.defaultVersionId,
        CreateDate: new Date(v.createDate),
      },
    };
  };

  const listVersions: Handler<ListPolicyVersionsRequest, ListPolicyVersionsResponse> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    const limit = maxItems(input.MaxItems);
    const p = await store.read((tx) => versionsOf(tx, arn, ctx.accountId));
    const versions: PolicyVersion[] = [...p.versions].reverse().map((v) => ({
      VersionId: v.versionId,
      IsDefaultVersion: v.versionId === p.defaultVersionId,
      CreateDate: new Date(v.createDate),
    }));
    const pg = page(versions, input.Marker, limit);
    return { Versions: pg.items, IsTruncated: pg.IsTruncated, ...(pg.Marker ? { Marker: pg.Marker } : {}) };
  };

  const deleteVersion: Handler<DeletePolicyVersionRequest> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    checkVersionId(input.VersionId!);
    await store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, arn, ctx.accountId);
      if (!rec.value.versions.some((v) => v.versionId === input.VersionId))
        throw noVersion(arn, input.VersionId!);
      if (rec.value.defaultVersionId === input.VersionId) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete the default version of a policy.");
      }
      await putPolicy(
        tx,
        { ...rec.value, versions: rec.value.versions.filter((v) => v.versionId !== input.VersionId) },
        rec.version,
      );
    });
    return {};
  };

  const setDefault: Handler<SetDefaultPolicyVersionRequest> = async (input, ctx) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    checkVersionId(input.VersionId!);
    await store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, arn, ctx.accountId);
      if (!rec.value.versions.some((v) => v.versionId === input.VersionId))
        throw noVersion(arn, input.VersionId!);
      await putPolicy(
        tx,
        { ...rec.value, defaultVersionId: input.VersionId!, updateDate: ctx.now },
        rec.version,
      );
    });
    return {};
  };

  const entities: Handler<ListEntitiesForPolicyRequest, ListEntitiesForPolicyResponse> = async (
    input,
    ctx,
  ) => {
    const arn = input.PolicyArn!;
    checkPolicyArn(arn);
    const prefix = checkPathPrefix("pathPrefix", input.PathPrefix);
    const limit = maxItems(input.MaxItems);
    const filter = input.EntityFilter;
    const found = await store.read(async (tx) => {
      if (!(await findPolicy(tx, arn, ctx.accountId)))
        throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} was not found.`);
      const a = await getAttachments(tx, arn);
      const out: { kind: "user" | "role"; name: string; id: string }[] = [];
      if (!filter || filter === "User") {
        for (const n of a.users) {
          const u = await getUser(tx, n);
          if (u?.value.path.startsWith(prefix))
            out.push({ kind: "user", name: u.value.name, id: u.value.id });
        }
      }
      if (!filter || filter === "Role") {
        for (const n of a.roles) {
          const r = await getRole(tx, n);
          if (r?.value.path.startsWith(prefix))
            out.push({ kind: "role", name: r.value.name, id: r.value.id });
        }
      }
      return out;
    });
    const p = page(found, input.Marker, limit);
    return {
      PolicyGroups: [],
      PolicyUsers: p.items.filter((e) => e.kind === "user").map((e) => ({ UserName: e.name, UserId: e.id })),
      PolicyRoles: p.items.filter((e) => e.kind === "role").map((e) => ({ RoleName: e.name, RoleId: e.id })),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  };

  const tag: Handler<TagPolicyRequest> = async (input, ctx) => {
    await store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, input.PolicyArn!, ctx.accountId);
      await putPolicy(tx, { ...rec.value, tags: mergeTags(rec.value.tags, input.Tags) }, rec.version);
    });
    return {};
  };

  const untag: Handler<UntagPolicyRequest> = async (input, ctx) => {
    await store.write(async (tx) => {
      const rec = await mustGetCustomerPolicy(tx, input.PolicyArn!, ctx.accountId);
      await putPolicy(
        tx,
        { ...rec.value, tags: removeTags(rec.value.tags, input.TagKeys ?? []) },
        rec.version,
      );
    });
    return {};
  };

  const listTags: Handler<ListPolicyTagsRequest, ListPolicyTagsResponse> = async (input, ctx) => {
    const limit = maxItems(input.MaxItems);
    const rec = await store.read((tx) => mustGetCustomerPolicy(tx, input.PolicyArn!, ctx.accountId));
    const p = page(rec.value.tags, input.Marker, limit);
    return { Tags: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  };

  return {
    CreatePolicy: create,
    GetPolicy: get,
    DeletePolicy: del,
    ListPolicies: list,
    CreatePolicyVersion: createVersion,
    GetPolicyVersion: getVersion,
    ListPolicyVersions: listVersions,
    DeletePolicyVersion: deleteVersion,
    SetDefaultPolicyVersion: setDefault,
    ListEntitiesForPolicy: entities,
    TagPolicy: tag,
    UntagPolicy: untag,
    ListPolicyTags: listTags,
  };
}
