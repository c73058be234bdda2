/** Who made a request, as resolved from its access key. */
export interface Principal {
  /** arn:aws:iam::<account>:root, arn:aws:iam::<account>:user/<name>, arn:aws:sts::<account>:assumed-role/<role>/<session> */
  readonly arn: string;
  readonly accountId: string;
  /** The UserId GetCallerIdentity reports. */
  readonly userId: string;
  readonly kind: "root" | "user" | "assumed-role";
  readonly accessKeyId: string;
}

export const rootArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;
