/** Validation of policy documents IAM stores: grammar, size quotas, principals that must exist. */
import { compileSpec } from "../../domain/iam/compile.js";
import { policySize } from "../../domain/iam/names.js";
import {
  namedAwsPrincipals,
  type PolicyKind,
  parsePolicyDocument,
} from "../../domain/iam/policy-document.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getRole, getUser } from "../../state/iam/users.js";
import type { ReadTx } from "../../state/store.js";

/** Quotas (IAM User Guide, "IAM and AWS STS quotas"), counted in characters other than whitespace. */
export const MANAGED_POLICY_SIZE = 6144;
export const USER_INLINE_SIZE = 2048;
export const ROLE_INLINE_SIZE = 10240;
export const TRUST_POLICY_SIZE = 2048;

/** Parse and compile (so evaluation can never meet a document it cannot compile). */
export function checkDocument(member: string, doc: string, kind: PolicyKind): void {
  if (doc.length < 1 || doc.length > 131072) {
    throw new AwsError(
      Errors.Validation,
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and 131072`,
    );
  }
  compileSpec(parsePolicyDocument(doc, kind));
}

export function checkManagedPolicy(doc: string): void {
  checkDocument("policyDocument", doc, "identity");
  if (policySize(doc) > MANAGED_POLICY_SIZE) {
    throw new AwsError(Errors.IamLimitExceeded, `Cannot exceed quota for PolicySize: ${MANAGED_POLICY_SIZE}`);
  }
}

/**
 * A trust policy: the grammar, its size, and principals of this account that must exist (IAM
 * refuses a trust policy naming a user or role it cannot find).
 */
export async function checkTrustPolicy(tx: ReadTx, doc: string, accountId: string): Promise<void> {
  checkDocument("assumeRolePolicyDocument", doc, "trust");
  if (policySize(doc) > TRUST_POLICY_SIZE) {
    throw new AwsError(
      Errors.IamLimitExceeded,
      `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_SIZE}`,
    );
  }
  for (const p of namedAwsPrincipals(parsePolicyDocument(doc, "trust"))) {
    const m = /^arn:aws:iam::(\d{12}):(user|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(p);
    if (!m || m[1] !== accountId) continue;
    const rec = m[2] === "user" ? await getUser(tx, m[3]!) : await getRole(tx, m[3]!);
    if (!rec || rec.value.arn !== p) {
      throw new AwsError(Errors.MalformedPolicyDocument, `Invalid principal in policy: "AWS":"${p}"`);
    }
  }
}
