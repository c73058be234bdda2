/**
 * The AWS managed policies Berth ships: the ones container workloads attach most, with the ARN,
 * path, default version and document AWS publishes for them (policy ids and dates are Berth's own
 * where AWS's were not at hand). They can be attached, listed (ListPolicies Scope=AWS) and read,
 * never changed.
 */
export interface AwsManagedPolicy {
  readonly name: string;
  readonly id: string;
  readonly path: string;
  readonly arn: string;
  readonly description: string;
  readonly versionId: string;
  readonly createDate: number;
  readonly updateDate: number;
  readonly document: string;
}

const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

function policy(
  name: string,
  id: string,
  path: string,
  description: string,
  versionId: string,
  created: string,
  updated: string,
  statements: unknown[],
): AwsManagedPolicy {
  return {
    name,
    id,
    path,
    arn: `arn:aws:iam::aws:policy${path}${name}`,
    description,
    versionId,
    createDate: Date.parse(created),
    updateDate: Date.parse(updated),
    document: doc(statements),
  };
}

export const AWS_MANAGED_POLICIES: readonly AwsManagedPolicy[] = [
  policy(
    "AdministratorAccess",
    "ANPAIWMBCKSKIEE64ZLYK",
    "/",
    "Provides full access to AWS services and resources.",
    "v1",
    "2015-02-06T18:39:46Z",
    "2015-02-06T18:39:46Z",
    [{ Effect: "Allow", Action: "*", Resource: "*" }],
  ),
  policy(
    "IAMReadOnlyAccess",
    "ANPAJKSO7NDY4T57MWDSQ",
    "/",
    "Provides read only access to IAM via the AWS Management Console.",
    "v4",
    "2015-02-06T18:39:48Z",
    "2018-01-25T19:11:27Z",
    [
      {
        Effect: "Allow",
        Action: [
          "iam:GenerateCredentialReport",
          "iam:GenerateServiceLastAccessedDetails",
          "iam:Get*",
          "iam:List*",
          "iam:SimulateCustomPolicy",
          "iam:SimulatePrincipalPolicy",
        ],
        Resource: "*",
      },
    ],
  ),
  policy(
    "AmazonECSTaskExecutionRolePolicy",
    "ANPAJG4T4G4PV56DE72PY",
    "/service-role/",
    "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
    "v1",
    "2017-11-16T18:48:22Z",
    "2017-11-16T18:48:22Z",
    [
      {
        Effect: "Allow",
        Action: [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:BatchGetImage",
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ],
        Resource: "*",
      },
    ],
  ),
  policy(
    "AmazonEC2ContainerRegistryReadOnly",
    "ANPAIFYZPA37OOHVIH7KQ",
    "/",
    "Provides read-only access to Amazon EC2 Container Registry repositories.",
    "v3",
    "2015-12-21T17:06:48Z",
    "2019-12-10T20:56:32Z",
    [
      {
        Effect: "Allow",
        Action: [
          "ecr:GetAuthorizationToken",
          "ecr:BatchCheckLayerAvailability",
          "ecr:GetDownloadUrlForLayer",
          "ecr:GetRepositoryPolicy",
          "ecr:DescribeRepositories",
          "ecr:ListImages",
          "ecr:DescribeImages",
          "ecr:BatchGetImage",
          "ecr:GetLifecyclePolicy",
          "ecr:GetLifecyclePolicyPreview",
          "ecr:ListTagsForResource",
          "ecr:DescribeImageScanFindings",
        ],
        Resource: "*",
      },
    ],
  ),
];

const byArn = new Map(AWS_MANAGED_POLICIES.map((p) => [p.arn, p]));

export const awsManagedPolicy = (arn: string): AwsManagedPolicy | undefined => byArn.get(arn);
