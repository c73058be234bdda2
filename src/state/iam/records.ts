/** The shapes of stored IAM records. Policy documents are kept as the caller sent them. */

export interface IamTag {
  Key: string;
  Value: string;
}

interface Principal {
  name: string;
  /** AIDA… for users, AROA… for roles. */
  id: string;
  arn: string;
  path: string;
  createDate: number;
  tags: IamTag[];
  /** Managed policy ARNs, in attachment order. */
  attached: string[];
  /** Inline policies: name → document. */
  inline: Record<string, string>;
}

export type UserRecord = Principal;

export interface RoleRecord extends Principal {
  description?: string;
  maxSessionDuration: number;
  assumeRolePolicy: string;
}

export interface PolicyVersionRecord {
  versionId: string;
  document: string;
  createDate: number;
}

export interface ManagedPolicyRecord {
  name: string;
  /** ANPA… */
  id: string;
  arn: string;
  path: string;
  description?: string;
  createDate: number;
  updateDate: number;
  defaultVersionId: string;
  /** The number the next version gets (versions are never renumbered). */
  nextVersion: number;
  versions: PolicyVersionRecord[];
  tags: IamTag[];
}

export interface PolicyAttachments {
  users: string[];
  roles: string[];
}

export interface AccessKeyRecord {
  accessKeyId: string;
  userName: string;
  status: "Active" | "Inactive";
  createDate: number;
  /** The secret access key, sealed by the identity Sealer (never stored in plaintext). */
  sealedSecret: string;
}
