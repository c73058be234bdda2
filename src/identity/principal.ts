/** Who made a request, as resolved from its access key. */
export interface Principal {
  /** arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session> */
  readonly arn: string;
  readonly accountId: string;
  /** The UserId GetCallerIdentity reports (aws:userid): the account, AIDA…, or AROA…:<session>. */
  readonly userId: string;
  readonly kind: "root" | "user" | "assumed-role";
  readonly accessKeyId: string;
  /** IAM users: the user name (aws:username). */
  readonly userName?: string;
  /** Role sessions: the role assumed. */
  readonly role?: { readonly arn: string; readonly name: string; readonly id: string };
  /** Temporary credentials: the session they belong to. */
  readonly session?: SessionInfo;
}

export interface SessionInfo {
  readonly name: string;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Session policies passed to AssumeRole: an inline document and managed policy ARNs. */
  readonly policy?: string;
  readonly policyArns?: readonly string[];
}

export const rootArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;
