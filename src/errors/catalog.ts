/**
 * The one catalog of errors Berth returns. Every error a handler or the gateway raises is built
 * from an entry here, so the AWS error code (`__type` for JSON protocols, `<Code>` for Query), the
 * HTTP status and the fault (Sender/Receiver) are decided in one place.
 *
 * Where the JSON and Query protocol families name the same condition differently (authentication
 * failures), an entry carries both names; the protocol layer picks one.
 */
export interface ErrorDef {
  /** The error code as JSON protocols send it in `__type`. */
  readonly code: string;
  readonly status: number;
  /** The code and status Query-protocol services (IAM, STS, ELBv2, EC2) use, when different. */
  readonly query?: { readonly code: string; readonly status: number };
  /** "Sender" (client fault) or "Receiver" (server fault), as Query error bodies say. */
  readonly fault: "Sender" | "Receiver";
  /** One line for docs/ERRORS.md: when Berth raises it. */
  readonly when: string;
}

const def = (
  code: string,
  status: number,
  when: string,
  extra: { query?: { code: string; status: number }; fault?: "Sender" | "Receiver" } = {},
): ErrorDef => ({
  code,
  status,
  when,
  fault: extra.fault ?? (status >= 500 ? "Receiver" : "Sender"),
  ...extra,
});

export const Errors = {
  // --- Protocol and gateway -------------------------------------------------------------------
  UnknownOperation: def("UnknownOperationException", 400, "the X-Amz-Target names no operation Berth knows", {
    query: { code: "InvalidAction", status: 400 },
  }),
  NotImplemented: def(
    "NotImplementedException",
    501,
    "the operation exists in the AWS API but Berth does not implement it (see docs/COMPATIBILITY.md)",
    { query: { code: "NotImplemented", status: 501 }, fault: "Sender" },
  ),
  Serialization: def(
    "SerializationException",
    400,
    "the body is not valid JSON, or a value has the wrong type",
  ),
  MalformedQueryString: def("MalformedQueryString", 400, "a Query-protocol form body cannot be parsed", {
    query: { code: "MalformedQueryString", status: 400 },
  }),
  MissingAction: def("MissingAction", 400, "a Query-protocol request has no Action", {
    query: { code: "MissingAction", status: 400 },
  }),
  RequestEntityTooLarge: def(
    "RequestEntityTooLargeException",
    413,
    "the request body exceeds the size limit",
    {
      query: { code: "RequestEntityTooLarge", status: 413 },
    },
  ),
  InternalFailure: def(
    "InternalFailure",
    500,
    "an unexpected fault inside Berth; the request changed nothing",
    {
      query: { code: "InternalFailure", status: 500 },
    },
  ),
  ServiceUnavailable: def("ServiceUnavailableException", 503, "Berth is starting or stopping", {
    query: { code: "ServiceUnavailable", status: 503 },
  }),
  NotFound: def("NotFoundException", 404, "an HTTP path that no Berth endpoint serves"),

  // --- Authentication (SigV4) -------------------------------------------------------------------
  MissingAuthenticationToken: def("MissingAuthenticationTokenException", 400, "the request is not signed", {
    query: { code: "MissingAuthenticationToken", status: 403 },
  }),
  IncompleteSignature: def(
    "IncompleteSignatureException",
    400,
    "the Authorization header or presigned query is malformed",
    {
      query: { code: "IncompleteSignature", status: 400 },
    },
  ),
  UnrecognizedClient: def("UnrecognizedClientException", 400, "the access key id is unknown", {
    query: { code: "InvalidClientTokenId", status: 403 },
  }),
  InvalidSignature: def(
    "InvalidSignatureException",
    400,
    "the signature does not match, or the request time is too far from Berth's clock",
    {
      query: { code: "SignatureDoesNotMatch", status: 403 },
    },
  ),
  ExpiredToken: def("ExpiredTokenException", 400, "temporary credentials or a presigned URL have expired", {
    query: { code: "ExpiredToken", status: 403 },
  }),
  AccessDenied: def("AccessDeniedException", 400, "the caller is not allowed to perform the action", {
    query: { code: "AccessDenied", status: 403 },
  }),

  // --- Shared by several services ---------------------------------------------------------------
  Validation: def(
    "ValidationException",
    400,
    "input fails the service's constraints (services that use this name)",
    {
      query: { code: "ValidationError", status: 400 },
    },
  ),
  InvalidParameter: def("InvalidParameterException", 400, "a parameter is invalid (ECS and others)"),
  ResourceNotFound: def("ResourceNotFoundException", 400, "a named resource does not exist"),
  LimitExceeded: def("LimitExceededException", 400, "a per-account or per-resource limit would be exceeded"),
  InvalidParameterValue: def("InvalidParameterValue", 400, "a Query-protocol parameter value is invalid", {
    query: { code: "InvalidParameterValue", status: 400 },
  }),

  // --- ECS ----------------------------------------------------------------------------------
  EcsClient: def("ClientException", 400, "ECS rejects the request because of the caller's input"),
  EcsServer: def("ServerException", 500, "ECS failed inside"),
  ClusterNotFound: def("ClusterNotFoundException", 400, "the named ECS cluster does not exist"),
  ClusterContainsServices: def(
    "ClusterContainsServicesException",
    400,
    "DeleteCluster on a cluster with active services",
  ),
  ClusterContainsTasks: def(
    "ClusterContainsTasksException",
    400,
    "DeleteCluster on a cluster with tasks that are not stopped",
  ),
  ClusterContainsContainerInstances: def(
    "ClusterContainsContainerInstancesException",
    400,
    "DeleteCluster on a cluster with registered container instances",
  ),
  EcsResourceInUse: def("ResourceInUseException", 400, "the resource is in use and cannot be removed"),
  UpdateInProgress: def("UpdateInProgressException", 400, "another update of the resource is in progress"),

  // --- ECR and ECR Public (issue: ECR) ---------------------------------------------------------
  RepositoryNotFound: def("RepositoryNotFoundException", 400, "the named ECR repository does not exist"),
  RepositoryAlreadyExists: def(
    "RepositoryAlreadyExistsException",
    400,
    "CreateRepository with a name in use",
  ),
  RepositoryNotEmpty: def(
    "RepositoryNotEmptyException",
    400,
    "DeleteRepository without force on a repository with images",
  ),
  RepositoryPolicyNotFound: def("RepositoryPolicyNotFoundException", 400, "the repository has no policy"),
  RegistryPolicyNotFound: def("RegistryPolicyNotFoundException", 400, "the registry has no policy"),
  ImageNotFound: def("ImageNotFoundException", 400, "the named image does not exist in the repository"),
  ImageAlreadyExists: def("ImageAlreadyExistsException", 400, "PutImage of an image and tag already present"),
  ImageTagAlreadyExists: def(
    "ImageTagAlreadyExistsException",
    400,
    "PutImage moving a tag in an immutable repository",
  ),
  ImageDigestDoesNotMatch: def(
    "ImageDigestDoesNotMatchException",
    400,
    "PutImage with an imageDigest the manifest does not hash to",
  ),
  LayersNotFound: def(
    "LayersNotFoundException",
    400,
    "PutImage of a manifest whose layers are not in the repository",
  ),
  ReferencedImagesNotFound: def(
    "ReferencedImagesNotFoundException",
    400,
    "PutImage of an index whose manifests are not in the repository",
  ),
  InvalidLayer: def(
    "InvalidLayerException",
    400,
    "CompleteLayerUpload whose content does not match the digest",
  ),
  InvalidLayerPart: def(
    "InvalidLayerPartException",
    400,
    "UploadLayerPart that does not continue the upload",
  ),
  LayerAlreadyExists: def(
    "LayerAlreadyExistsException",
    400,
    "CompleteLayerUpload of a layer already in the repository",
  ),
  LayerInaccessible: def(
    "LayerInaccessibleException",
    400,
    "GetDownloadUrlForLayer of a layer not in the repository",
  ),
  UploadNotFound: def("UploadNotFoundException", 400, "the layer upload id is unknown"),
  EmptyUpload: def("EmptyUploadException", 400, "CompleteLayerUpload of an upload with no bytes"),
  LifecyclePolicyNotFound: def(
    "LifecyclePolicyNotFoundException",
    400,
    "the repository has no lifecycle policy",
  ),
  LifecyclePolicyPreviewNotFound: def(
    "LifecyclePolicyPreviewNotFoundException",
    400,
    "no lifecycle policy preview was started",
  ),
  InvalidTagParameter: def("InvalidTagParameterException", 400, "a resource tag key or value is invalid"),
  TooManyTags: def("TooManyTagsException", 400, "more than 50 tags on a resource"),
} as const satisfies Record<string, ErrorDef>;

export type ErrorName = keyof typeof Errors;

/** An error destined for an AWS client: a catalog entry plus a message. */
export class AwsError extends Error {
  constructor(
    readonly def: ErrorDef,
    message: string,
    /** Extra members some errors carry in their body (for example `reason`). */
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = def.code;
  }
}

/** Throw a catalog error. */
export function fail(def: ErrorDef, message: string, fields?: Record<string, unknown>): never {
  throw new AwsError(def, message, fields);
}

/** Throw a catalog error unless `cond` holds. */
export function check(cond: unknown, def: ErrorDef, message: string): asserts cond {
  if (!cond) throw new AwsError(def, message);
}
