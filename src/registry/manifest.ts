/**
 * Reading image manifests: which media type a manifest is, which blobs and manifests it refers to,
 * its subject (OCI 1.1 referrers) and artifact type. Pure; the registry and PutImage share it.
 */

export const MediaTypes = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaTypes.dockerManifest,
  MediaTypes.dockerList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
];

/** Largest manifest accepted, as distribution and ECR limit it. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: unknown;
}

export interface ParsedManifest {
  mediaType: string;
  /** Config and layers (image manifests): must exist in the repository. */
  blobs: Descriptor[];
  /** Child manifests (indexes and lists): must exist in the repository. */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** OCI artifactType, or the config's media type when it is not an image config. */
  artifactType?: string;
  /** ECR's artifactMediaType: the config media type of an image manifest. */
  configMediaType?: string;
  annotations?: Record<string, string>;
}

export class ManifestInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestInvalid";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new ManifestInvalid(`${where} is not a descriptor object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== "string" || !MEDIA_TYPE.test(mediaType))
    throw new ManifestInvalid(`${where}.mediaType is missing or not a media type`);
  if (typeof digest !== "string" || !DIGEST.test(digest))
    throw new ManifestInvalid(`${where}.digest is missing or not a supported digest`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    throw new ManifestInvalid(`${where}.size must be a non-negative integer`);
  const d: Descriptor = { mediaType, digest, size };
  if (typeof v.artifactType === "string") d.artifactType = v.artifactType;
  if (isObject(v.annotations)) d.annotations = v.annotations as Record<string, string>;
  if (v.platform !== undefined) d.platform = v.platform;
  return d;
}

/**
 * Parse manifest bytes. `contentType` is what the client sent; when the manifest names its own
 * media type the two must agree.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw new ManifestInvalid(`manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) throw new ManifestInvalid("manifest is not valid UTF-8");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ManifestInvalid("manifest is not valid JSON");
  }
  if (!isObject(doc)) throw new ManifestInvalid("manifest is not a JSON object");
  const ctype = contentType?.split(";")[0]?.trim();
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (declared && ctype && MANIFEST_MEDIA_TYPES.includes(ctype) && declared !== ctype) {
    throw new ManifestInvalid(`manifest mediaType ${declared} does not match Content-Type ${ctype}`);
  }
  let mediaType = declared ?? (ctype && MANIFEST_MEDIA_TYPES.includes(ctype) ? ctype : undefined);
  if (!mediaType) {
    // An OCI manifest may omit mediaType; tell image manifest from index by shape.
    if (Array.isArray(doc.manifests)) mediaType = MediaTypes.ociIndex;
    else if (isObject(doc.config)) mediaType = MediaTypes.ociManifest;
  }
  if (!mediaType || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new ManifestInvalid(
      `unsupported manifest media type ${mediaType ?? ctype ?? "(none)"}; supported: ${MANIFEST_MEDIA_TYPES.join(", ")}`,
    );
  }
  if (doc.schemaVersion !== 2) throw new ManifestInvalid("schemaVersion must be 2");
  const out: ParsedManifest = { mediaType, blobs: [], manifests: [] };
  if (mediaType === MediaTypes.dockerManifest || mediaType === MediaTypes.ociManifest) {
    const config = descriptor(doc.config, "config");
    if (!Array.isArray(doc.layers)) throw new ManifestInvalid("layers must be an array");
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    // Foreign (non-distributable) layers with URLs are not stored in the registry.
    const stored = layers.filter(
      (l, i) =>
        !(
          Array.isArray((doc.layers as Record<string, unknown>[])[i]?.urls) &&
          /foreign|nondistributable/.test(l.mediaType)
        ),
    );
    out.blobs = [config, ...stored];
    out.configMediaType = config.mediaType;
    if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
    else if (config.mediaType !== MediaTypes.dockerConfig && config.mediaType !== MediaTypes.ociConfig)
      out.artifactType = config.mediaType;
  } else {
    if (!Array.isArray(doc.manifests)) throw new ManifestInvalid("manifests must be an array");
    out.manifests = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
    if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
  }
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, "subject");
  if (isObject(doc.annotations)) out.annotations = doc.annotations as Record<string, string>;
  return out;
}

/** ECR's imageSizeInBytes: the sum of the blobs an image manifest stores (config and layers). */
export function imageSize(m: ParsedManifest, manifestBytes: number): number {
  if (m.blobs.length === 0) return manifestBytes;
  return m.blobs.reduce((sum, b) => sum + b.size, 0);
}
