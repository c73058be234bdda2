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
  /** The code and status EC2 uses, when it differs from the Query code (authorization failures). */
  readonly ec2?: { readonly code: string; readonly status: number };
  /** "Sender" (client fault) or "Receiver" (server fault), as Query error bodies say. */
  readonly fault: "Sender" | "Receiver";
  /** One line for docs/ERRORS.md: when Berth raises it. */
  readonly when: string;
}

const def = (
  code: string,
  status: number,
  when: string,
  extra: {
    query?: { code: string; status: number };
    ec2?: { code: string; status: number };
    fault?: "Sender" | "Receiver";
  } = {},
): ErrorDef => ({
  code,
  status,
  when,
  fault: extra.fault ?? (status >= 500 ? "Receiver" : "Sender"),
  ...extra,
});

/** An EC2 error: the same code in every protocol field, HTTP 400, a client fault. */
const q = (code: string, when: string): ErrorDef =>
  def(code, 400, when, { query: { code, status: 400 }, fault: "Sender" });

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
    ec2: { code: "UnauthorizedOperation", status: 403 },
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
  EcsTargetNotFound: def(
    "TargetNotFoundException",
    400,
    "PutAttributes or DeleteAttributes names a container instance that does not exist",
  ),
  EcsAttributeLimitExceeded: def(
    "AttributeLimitExceededException",
    400,
    "a container instance would have more than 10 custom attributes",
  ),
  ServiceNotFound: def("ServiceNotFoundException", 400, "the named ECS service does not exist"),
  ServiceNotActive: def("ServiceNotActiveException", 400, "the ECS service is not ACTIVE"),
  PlatformUnknown: def("PlatformUnknownException", 400, "the platform version does not exist"),
  NamespaceNotFound: def("NamespaceNotFoundException", 400, "the named Cloud Map namespace does not exist"),
  ServiceDeploymentNotFound: def(
    "ServiceDeploymentNotFoundException",
    400,
    "the service deployment does not exist",
  ),

  // --- CloudWatch Logs ------------------------------------------------------------------------
  // (Logs also answers InvalidParameterException and ResourceNotFoundException from the shared section.)
  ResourceAlreadyExists: def(
    "ResourceAlreadyExistsException",
    400,
    "CreateLogGroup or CreateLogStream with a name already in use",
  ),
  TooManyTags: def(
    "TooManyTagsException",
    400,
    "tagging would leave a log group or ECR repository with more than 50 tags",
  ),

  // --- SSM Parameter Store ----------------------------------------------------------------------
  ParameterNotFound: def("ParameterNotFound", 400, "SSM: the named parameter does not exist"),
  ParameterAlreadyExists: def(
    "ParameterAlreadyExists",
    400,
    "SSM PutParameter: the parameter exists and Overwrite is not set",
  ),
  ParameterVersionNotFound: def(
    "ParameterVersionNotFound",
    400,
    "SSM: the parameter has no such version (or a label names none)",
  ),
  ParameterVersionLabelLimitExceeded: def(
    "ParameterVersionLabelLimitExceeded",
    400,
    "SSM LabelParameterVersion: a version would carry more than 10 labels",
  ),
  ParameterMaxVersionLimitExceeded: def(
    "ParameterMaxVersionLimitExceeded",
    400,
    "SSM PutParameter: the oldest of 100 versions carries a label and cannot be dropped",
  ),
  HierarchyLevelLimitExceeded: def(
    "HierarchyLevelLimitExceededException",
    400,
    "SSM PutParameter: the name has more than 15 hierarchy levels",
  ),
  HierarchyTypeMismatch: def(
    "HierarchyTypeMismatchException",
    400,
    "SSM PutParameter: Overwrite would change a parameter to or from SecureString",
  ),
  InvalidAllowedPattern: def(
    "InvalidAllowedPatternException",
    400,
    "SSM PutParameter: the value does not match AllowedPattern, or the pattern is not a valid regex",
  ),
  ParameterPatternMismatch: def(
    "ParameterPatternMismatchException",
    400,
    "SSM PutParameter: the parameter name is not valid",
  ),
  InvalidKeyId: def("InvalidKeyId", 400, "SSM: the KMS key named by KeyId does not exist or cannot be used"),
  InvalidFilterKey: def("InvalidFilterKey", 400, "SSM: a filter key is not valid for the operation"),
  InvalidFilterOption: def("InvalidFilterOption", 400, "SSM: a filter option or filter value is not valid"),
  InvalidFilterValue: def("InvalidFilterValue", 400, "SSM: a filter has no values where it needs some"),
  SsmInvalidNextToken: def("InvalidNextToken", 400, "SSM: NextToken did not come from the same listing"),
  InvalidResourceId: def("InvalidResourceId", 400, "SSM tagging: the resource does not exist"),
  InvalidResourceType: def(
    "InvalidResourceType",
    400,
    "SSM tagging: the resource type is not one Berth tags (only Parameter)",
  ),
  TooManyTagsError: def(
    "TooManyTagsError",
    400,
    "SSM AddTagsToResource: the resource would have over 50 tags",
  ),
  SsmInternalServerError: def(
    "InternalServerError",
    500,
    "SSM: a stored value could not be opened (wrong master key)",
  ),

  // --- Secrets Manager --------------------------------------------------------------------------
  InvalidRequest: def(
    "InvalidRequestException",
    400,
    "Secrets Manager: the request is not valid for the secret's current state (e.g. marked for deletion)",
  ),
  ResourceExists: def(
    "ResourceExistsException",
    400,
    "Secrets Manager: the secret, or the version named by ClientRequestToken, already exists",
  ),
  SmInvalidNextToken: def(
    "InvalidNextTokenException",
    400,
    "Secrets Manager: NextToken did not come from the same listing",
  ),
  EncryptionFailure: def(
    "EncryptionFailure",
    400,
    "Secrets Manager: the KMS key cannot encrypt (does not exist, disabled)",
  ),
  DecryptionFailure: def(
    "DecryptionFailure",
    400,
    "Secrets Manager: a stored value could not be opened (wrong master key)",
  ),

  // --- KMS --------------------------------------------------------------------------------------
  KmsNotFound: def("NotFoundException", 400, "KMS: the key or alias does not exist"),
  KmsAlreadyExists: def("AlreadyExistsException", 400, "KMS CreateAlias: the alias exists"),
  KmsDisabled: def("DisabledException", 400, "KMS: the key is disabled"),
  KmsInvalidState: def("KMSInvalidStateException", 400, "KMS: the key's state does not allow the operation"),
  InvalidCiphertext: def(
    "InvalidCiphertextException",
    400,
    "KMS Decrypt: the ciphertext is not one Berth made, was altered, or its encryption context differs",
  ),
  IncorrectKey: def(
    "IncorrectKeyException",
    400,
    "KMS Decrypt: KeyId names another key than the ciphertext's",
  ),
  InvalidKeyUsage: def("InvalidKeyUsageException", 400, "KMS: the key's usage does not allow the operation"),
  InvalidAliasName: def("InvalidAliasNameException", 400, "KMS: the alias name is not valid or is reserved"),
  KmsTag: def("TagException", 400, "KMS: tags are not valid (aws: prefix, duplicates)"),
  KmsDryRun: def("DryRunOperationException", 412, "KMS: DryRun was set and the request would have succeeded"),
  KmsInvalidMarker: def("InvalidMarkerException", 400, "KMS: Marker did not come from the same listing"),
  KmsUnsupportedOperation: def(
    "UnsupportedOperationException",
    400,
    "KMS: the key spec or option is one Berth does not implement",
  ),

  // --- IAM and STS (Query protocol; codes and statuses from the models' awsQueryError traits) ----
  NoSuchEntity: def(
    "NoSuchEntityException",
    404,
    "an IAM user, role, policy, access key or attachment does not exist",
    {
      query: { code: "NoSuchEntity", status: 404 },
    },
  ),
  EntityAlreadyExists: def(
    "EntityAlreadyExistsException",
    409,
    "an IAM entity with that name already exists",
    {
      query: { code: "EntityAlreadyExists", status: 409 },
    },
  ),
  DeleteConflict: def(
    "DeleteConflictException",
    409,
    "an IAM entity cannot be deleted while it still has keys, policies or attachments",
    { query: { code: "DeleteConflict", status: 409 } },
  ),
  IamLimitExceeded: def(
    "LimitExceededException",
    409,
    "an IAM quota (keys per user, policies per entity, policy size, versions) would be exceeded",
    {
      query: { code: "LimitExceeded", status: 409 },
    },
  ),
  MalformedPolicyDocument: def(
    "MalformedPolicyDocumentException",
    400,
    "a policy document (identity, trust or session policy) is not valid JSON or breaks the policy grammar",
    { query: { code: "MalformedPolicyDocument", status: 400 } },
  ),
  InvalidInput: def("InvalidInputException", 400, "an IAM parameter is out of range or inconsistent", {
    query: { code: "InvalidInput", status: 400 },
  }),
  PolicyNotAttachable: def("PolicyNotAttachableException", 400, "the managed policy cannot be attached", {
    query: { code: "PolicyNotAttachable", status: 400 },
  }),
  PackedPolicyTooLarge: def(
    "PackedPolicyTooLargeException",
    400,
    "AssumeRole session policies exceed the packed size limit",
    { query: { code: "PackedPolicyTooLarge", status: 400 } },
  ),

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
  // --- Elastic Load Balancing v2 (Query protocol; codes and statuses from the model's awsQueryError traits) ---
  // Every ELBv2 error is a client fault with HTTP 400 except where noted.
  LoadBalancerNotFound: elb("LoadBalancerNotFound", "a load balancer named by ARN or name does not exist"),
  TargetGroupNotFound: elb("TargetGroupNotFound", "a target group named by ARN or name does not exist"),
  ListenerNotFound: elb("ListenerNotFound", "a listener named by ARN does not exist"),
  RuleNotFound: elb("RuleNotFound", "a listener rule named by ARN does not exist"),
  DuplicateLoadBalancerName: elb(
    "DuplicateLoadBalancerName",
    "CreateLoadBalancer: the name is taken by a load balancer with other settings",
  ),
  DuplicateTargetGroupName: elb(
    "DuplicateTargetGroupName",
    "CreateTargetGroup: the name is taken by a target group with other settings",
  ),
  DuplicateListener: elb("DuplicateListener", "the load balancer already has a listener on that port"),
  PriorityInUse: elb("PriorityInUse", "another rule of the listener has that priority"),
  ElbResourceInUse: elb(
    "ResourceInUse",
    "a target group is still used by a listener or rule, or a load balancer by its listeners",
  ),
  InvalidConfigurationRequest: elb(
    "InvalidConfigurationRequest",
    "the request does not fit the load balancer's configuration (for example, a listener port in use on this machine)",
  ),
  IncompatibleProtocols: elb(
    "IncompatibleProtocols",
    "a listener and a target group, or a target group and its health check, use protocols that do not go together",
  ),
  InvalidLoadBalancerAction: elb("InvalidLoadBalancerAction", "a listener or rule action is not valid"),
  InvalidTarget: elb(
    "InvalidTarget",
    "RegisterTargets/DeregisterTargets/DescribeTargetHealth name a target that cannot be used",
  ),
  TargetGroupAssociationLimit: elb(
    "TargetGroupAssociationLimit",
    "a target group would be used by a second load balancer",
  ),
  UnsupportedProtocol: elb(
    "UnsupportedProtocol",
    "the protocol is not one the load balancer type (or Berth's HAProxy data plane) supports",
  ),
  CertificateNotFound: elb(
    "CertificateNotFound",
    "an HTTPS or TLS listener names a certificate (Berth has no certificate store, so none exists)",
  ),
  OperationNotPermitted: elb(
    "OperationNotPermitted",
    "the operation is not allowed in the resource's state (deletion protection, the default rule)",
  ),
  DuplicateTagKeys: elb("DuplicateTagKeys", "a tag key appears twice in one request"),
  ElbTooManyTags: elb("TooManyTags", "a resource would carry more than 50 tags"),
  TooManyTargets: elb("TooManyTargets", "a target group would hold more than 1000 targets"),
  TooManyRules: elb("TooManyRules", "a listener would have more than 100 rules"),
  TooManyListeners: elb("TooManyListeners", "a load balancer would have more than 50 listeners"),
  TooManyActions: elb("TooManyActions", "a rule or listener has more actions than allowed"),
  TooManyTargetGroups: elb("TooManyTargetGroups", "a forward action names more than 5 target groups"),
  // --- EC2 (VPCs, subnets, security groups, network interfaces; ec2Query codes, HTTP 400) --------
  Ec2MissingParameter: q("MissingParameter", "EC2: a required parameter is missing"),
  Ec2InvalidParameter: q("InvalidParameter", "EC2: a parameter is not valid in this combination"),
  Ec2InvalidParameterCombination: q(
    "InvalidParameterCombination",
    "EC2: parameters that cannot be used together were given together",
  ),
  Ec2DryRun: def("DryRunOperation", 412, "EC2: DryRun was set and the request would have succeeded", {
    query: { code: "DryRunOperation", status: 412 },
    fault: "Sender",
  }),
  Ec2InvalidId: q("InvalidID", "EC2 tagging: a resource id is not one of a taggable resource"),
  Ec2InvalidFilter: q("InvalidFilter", "EC2 Describe*: a filter name is not one the operation knows"),
  Ec2InvalidNextToken: q("InvalidNextToken", "EC2 Describe*: NextToken did not come from the same listing"),
  InvalidVpcIdNotFound: q("InvalidVpcID.NotFound", "EC2: the VPC does not exist"),
  InvalidVpcIdMalformed: q("InvalidVpcID.Malformed", "EC2: a VPC id is not of the form vpc-…"),
  InvalidVpcRange: q("InvalidVpc.Range", "CreateVpc: the CIDR block is larger than /16 or smaller than /28"),
  InvalidSubnetIdNotFound: q("InvalidSubnetID.NotFound", "EC2: the subnet does not exist"),
  InvalidSubnetIdMalformed: q("InvalidSubnetID.Malformed", "EC2: a subnet id is not of the form subnet-…"),
  InvalidSubnetRange: q(
    "InvalidSubnet.Range",
    "CreateSubnet: the CIDR block is outside the VPC or of a bad size",
  ),
  InvalidSubnetConflict: q("InvalidSubnet.Conflict", "CreateSubnet: the CIDR block overlaps another subnet"),
  InvalidGroupNotFound: q("InvalidGroup.NotFound", "EC2: the security group does not exist (in that VPC)"),
  InvalidGroupIdMalformed: q("InvalidGroupId.Malformed", "EC2: a security group id is not of the form sg-…"),
  InvalidGroupDuplicate: q("InvalidGroup.Duplicate", "CreateSecurityGroup: the VPC has a group of that name"),
  VpcIdNotSpecified: q("VPCIdNotSpecified", "EC2: no VpcId was given and the region has no default VPC"),
  CannotDelete: q("CannotDelete", "DeleteSecurityGroup on a VPC's default security group"),
  InvalidPermissionDuplicate: q("InvalidPermission.Duplicate", "Authorize*: the rule exists already"),
  InvalidPermissionNotFound: q("InvalidPermission.NotFound", "Revoke*: no rule matches"),
  InvalidPermissionMalformed: q(
    "InvalidPermission.Malformed",
    "Authorize*/Revoke*: a rule's source is malformed",
  ),
  InvalidSecurityGroupRuleIdNotFound: q(
    "InvalidSecurityGroupRuleId.NotFound",
    "EC2: a security group rule id names no rule of the group",
  ),
  InvalidSecurityGroupRuleIdMalformed: q(
    "InvalidSecurityGroupRuleId.Malformed",
    "EC2: a security group rule id is not of the form sgr-…",
  ),
  RulesPerSecurityGroupLimitExceeded: q(
    "RulesPerSecurityGroupLimitExceeded",
    "Authorize*: a group would have more than 60 inbound or 60 outbound rules",
  ),
  InvalidNetworkInterfaceIdNotFound: q(
    "InvalidNetworkInterfaceID.NotFound",
    "EC2: the network interface does not exist",
  ),
  InvalidNetworkInterfaceIdMalformed: q(
    "InvalidNetworkInterfaceID.Malformed",
    "EC2: a network interface id is not of the form eni-…",
  ),
  InvalidPrefixListIdNotFound: q(
    "InvalidPrefixListId.NotFound",
    "Authorize*: a rule names a prefix list (Berth has none)",
  ),
  DependencyViolation: q(
    "DependencyViolation",
    "EC2 Delete*: the resource is still used (a VPC's subnets and groups, a subnet's or group's interfaces, a group referenced by another group's rules)",
  ),
  Ec2TagLimitExceeded: q("TagLimitExceeded", "CreateTags: a resource would have more than 50 tags"),
  VpcLimitExceeded: q("VpcLimitExceeded", "CreateVpc: the region has 5 VPCs already"),
  SecurityGroupLimitExceeded: q(
    "SecurityGroupLimitExceeded",
    "CreateSecurityGroup: the VPC has 2,500 groups",
  ),
  InsufficientFreeAddressesInSubnet: q(
    "InsufficientFreeAddressesInSubnet",
    "EC2: an interface could not get an address: the subnet is full",
  ),
} as const satisfies Record<string, ErrorDef>;

/** An ELBv2 error: the same code for JSON and Query (ELBv2 speaks Query only), HTTP 400, Sender. */
function elb(code: string, when: string): ErrorDef {
  return def(code, 400, when, { query: { code, status: 400 } });
}

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
