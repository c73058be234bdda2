/**
 * Record kinds of IAM state and their key layouts. IAM is global: its resources belong to the
 * account, not to a region, so keys start with `global/` where other services' start with the
 * region. IAM names are unique regardless of case, so names in keys are lower-cased; records keep
 * the name as created.
 */
export const IAM = {
  /** `global/${lower(userName)}` → UserRecord */
  user: "iam.user",
  /** `global/${lower(roleName)}` → RoleRecord */
  role: "iam.role",
  /** `global/${lower(policyName)}` → ManagedPolicyRecord (customer managed policies) */
  policy: "iam.policy",
  /** `global/${policyArn}` → PolicyAttachments (customer and AWS managed policies) */
  attachments: "iam.policy-attachments",
  /** `global/${accessKeyId}` → AccessKeyRecord */
  accessKey: "iam.access-key",
  /** `global/${lower(userName)}/${accessKeyId}` → {} (a user's keys, in id order) */
  userAccessKey: "iam.user-access-key",
} as const;

/** Every IAM kind starts with this; a change to any of them invalidates cached identities. */
export const IAM_KIND_PREFIX = "iam.";

export const GLOBAL = "global/";
export const nameKey = (name: string) => `${GLOBAL}${name.toLowerCase()}`;
