/** The shapes of ECR records in the store (see kinds.ts for their keys). */
import type { Tag } from "@aws-sdk/client-ecr";
import type { Descriptor } from "../../registry/manifest.js";

export interface RepositoryRecord {
  /** A region, or `public` for ECR Public. */
  registry: string;
  name: string;
  arn: string;
  registryId: string;
  createdAt: number;
  imageTagMutability: "MUTABLE" | "IMMUTABLE" | "MUTABLE_WITH_EXCLUSION" | "IMMUTABLE_WITH_EXCLUSION";
  imageTagMutabilityExclusionFilters?: { filterType: "WILDCARD"; filter: string }[];
  scanOnPush: boolean;
  encryption: { encryptionType: "AES256" | "KMS" | "KMS_DSSE"; kmsKey?: string };
  tags: Tag[];
  /** Repository policy text (SetRepositoryPolicy), as given. */
  policy?: string;
  lifecyclePolicy?: string;
  lifecyclePolicyUpdatedAt?: number;
  /** When lifecycle enforcement last ran over this repository. */
  lifecycleEvaluatedAt?: number;
  /** ECR Public catalog data, kept as given. */
  catalogData?: Record<string, unknown>;
}

export interface ImageRecord {
  digest: string;
  /** The manifest exactly as pushed (valid UTF-8; its sha256 is `digest`). */
  manifest: string;
  mediaType: string;
  /** ECR artifactMediaType: the config media type of an image manifest. */
  configMediaType?: string;
  /** OCI artifactType (artifacts). */
  artifactType?: string;
  sizeInBytes: number;
  pushedAt: number;
  lastPulledAt?: number;
  /** Sorted. */
  tags: string[];
  /** Config and layer digests. */
  blobs: string[];
  /** Child manifest digests (indexes, manifest lists). */
  manifests: string[];
  subject?: string;
  annotations?: Record<string, string>;
}

export interface TagRecord {
  digest: string;
}

export interface LayerRecord {
  size: number;
  linkedAt: number;
}

export type ReferrerRecord = Descriptor;

export interface UploadRecord {
  registry: string;
  name: string;
  startedAt: number;
  principalArn: string;
}
