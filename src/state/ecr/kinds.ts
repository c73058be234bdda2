/**
 * Record kinds of ECR state and their key layouts. Keys start with the registry: the region for
 * private repositories, `public` for ECR Public. `@` and `:` cannot occur in repository names, so
 * `us-east-1/web@` lists the images of `web` and never those of `web/api`.
 */
export const K = {
  /** `${registry}/${name}` */
  repository: "ecr.repository",
  /** `${registry}/${name}@${digest}` — an image (a manifest) in a repository */
  image: "ecr.image",
  /** `${registry}/${name}:${tag}` → the digest the tag points at */
  tag: "ecr.tag",
  /** `${registry}/${name}@${digest}` — a blob linked into a repository (pushed, mounted) */
  layer: "ecr.layer",
  /** `${registry}/${name}@${subjectDigest}/${digest}` — OCI referrers index */
  referrer: "ecr.referrer",
  /** `${uploadId}` — a blob upload in progress */
  upload: "ecr.upload",
  /** `${registry}/${name}` — the last lifecycle policy preview */
  lifecyclePreview: "ecr.lifecycle-preview",
} as const;

export const repoKey = (registry: string, name: string) => `${registry}/${name}`;
export const imageKey = (registry: string, name: string, digest: string) => `${registry}/${name}@${digest}`;
export const tagKey = (registry: string, name: string, tag: string) => `${registry}/${name}:${tag}`;
export const layerKey = imageKey;
export const referrerKey = (registry: string, name: string, subject: string, digest: string) =>
  `${registry}/${name}@${subject}/${digest}`;
