/**
 * ECR names and identifiers: repository names, image tags, ARNs and repository URIs.
 *
 * Registry addressing (see docs/ARCHITECTURE.md, "Container images"): Berth serves every region's
 * registry on its own loopback address, so the region is the first path component of a repository
 * URI: `127.0.0.1:4747/us-east-1/web`. ECR Public repositories live under `public/`:
 * `127.0.0.1:4747/public/web`. Docker accepts plain HTTP for these hosts with no configuration.
 */

/** ECR's repository name rule (2-256 characters). */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** OCI tag rule: up to 128 characters. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The registry path component that names ECR Public instead of a region. */
export const PUBLIC_REGISTRY = "public";

export const REPOSITORY_NAME_PATTERN = "(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*";

export function isRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && REPOSITORY_NAME.test(name);
}

export const isTag = (tag: string): boolean => TAG.test(tag);

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const isRegion = (s: string): boolean => REGION.test(s);

export function repositoryArn(registry: string, accountId: string, name: string): string {
  return registry === PUBLIC_REGISTRY
    ? `arn:aws:ecr-public::${accountId}:repository/${name}`
    : `arn:aws:ecr:${registry}:${accountId}:repository/${name}`;
}

/** `host:port/<region or public>/<name>` — the form docker, skopeo and task definitions use. */
export function repositoryUri(registryHost: string, registry: string, name: string): string {
  return `${registryHost}/${registry}/${name}`;
}

/**
 * Split a registry path `<region or public>/<repository name>` into its parts; undefined when the
 * first component is neither a region nor `public`, or the name is not a repository name.
 */
export function parseRepositoryPath(path: string): { registry: string; name: string } | undefined {
  const slash = path.indexOf("/");
  if (slash < 0) return undefined;
  const registry = path.slice(0, slash);
  const name = path.slice(slash + 1);
  if (registry !== PUBLIC_REGISTRY && !isRegion(registry)) return undefined;
  if (!isRepositoryName(name)) return undefined;
  return { registry, name };
}

/**
 * If `image` (a task definition's image) names a repository in Berth's own registry at
 * `registryHost`, its parts; otherwise undefined. The agent uses this to tell which images need an
 * ECR authorization token to pull.
 */
export function parseRegistryImage(
  image: string,
  registryHost: string,
): { registry: string; name: string; reference: string } | undefined {
  if (!image.startsWith(`${registryHost}/`)) return undefined;
  let rest = image.slice(registryHost.length + 1);
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const parsed = parseRepositoryPath(rest);
  return parsed ? { ...parsed, reference } : undefined;
}
