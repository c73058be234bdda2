/**
 * Amazon ECR Public (awsJson1_1, target prefix SpencerFrontendService, signing name ecr-public).
 *
 * Public repositories are Berth's answer to anonymous pulls: anyone may pull from
 * `127.0.0.1:<port>/public/<name>` without credentials; pushing needs a token from ECR Public's
 * GetAuthorizationToken. Private (ECR) repositories never allow anonymous access. ECR Public is
 * one global registry, whatever region the request is signed for.
 */
import type * as pub from "@aws-sdk/client-ecr-public";
import * as sdk from "@aws-sdk/client-ecr-public";
import { PUBLIC_REGISTRY } from "../../domain/ecr/names.js";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import { ecrAuthorization } from "../ecr/authz.js";
import type { EcrDeps } from "../ecr/common.js";
import { imageHandlers } from "../ecr/images.js";
import { issueAuthorizationToken } from "../ecr/layers.js";
import { repositoryHandlers } from "../ecr/repositories.js";
import type { Handler, RequestContext, ServiceDefinition } from "../service.js";

const publicRegistry = () => PUBLIC_REGISTRY;

type AnyHandler = (input: never, ctx: RequestContext) => unknown;

function pickRepository(r: Record<string, unknown> | undefined): pub.Repository | undefined {
  if (!r) return undefined;
  const { repositoryArn, registryId, repositoryName, repositoryUri, createdAt } = r as pub.Repository;
  return { repositoryArn, registryId, repositoryName, repositoryUri, createdAt };
}

function pickImage(d: Record<string, unknown>): pub.ImageDetail {
  const x = d as pub.ImageDetail;
  const out: pub.ImageDetail = {
    registryId: x.registryId,
    repositoryName: x.repositoryName,
    imageDigest: x.imageDigest,
    imageSizeInBytes: x.imageSizeInBytes,
    imagePushedAt: x.imagePushedAt,
    imageManifestMediaType: x.imageManifestMediaType,
  };
  if (x.imageTags) out.imageTags = x.imageTags;
  if (x.artifactMediaType) out.artifactMediaType = x.artifactMediaType;
  return out;
}

export function ecrPublicService(deps: EcrDeps): ServiceDefinition {
  const repos = repositoryHandlers(deps, publicRegistry);
  const images = imageHandlers(deps, publicRegistry);
  const call = async <T>(h: AnyHandler, input: unknown, ctx: RequestContext) =>
    (await h(input as never, ctx)) as T;

  const createRepository: Handler<pub.CreateRepositoryRequest, pub.CreateRepositoryResponse> = async (
    input,
    ctx,
  ) => {
    const { catalogData, ...rest } = input;
    const out = await call<{ repository: Record<string, unknown> }>(repos.CreateRepository, rest, ctx);
    return {
      repository: pickRepository(out.repository)!,
      ...(catalogData ? { catalogData: { ...catalogData } } : {}),
    };
  };
  const describeRepositories: Handler<
    pub.DescribeRepositoriesRequest,
    pub.DescribeRepositoriesResponse
  > = async (input, ctx) => {
    const out = await call<{ repositories: Record<string, unknown>[]; nextToken?: string }>(
      repos.DescribeRepositories,
      input,
      ctx,
    );
    return {
      repositories: out.repositories.map((r) => pickRepository(r)!),
      ...(out.nextToken ? { nextToken: out.nextToken } : {}),
    };
  };
  const deleteRepository: Handler<pub.DeleteRepositoryRequest, pub.DeleteRepositoryResponse> = async (
    input,
    ctx,
  ) => {
    const out = await call<{ repository: Record<string, unknown> }>(repos.DeleteRepository, input, ctx);
    return { repository: pickRepository(out.repository)! };
  };
  const describeImages: Handler<pub.DescribeImagesRequest, pub.DescribeImagesResponse> = async (
    input,
    ctx,
  ) => {
    const out = await call<{ imageDetails: Record<string, unknown>[]; nextToken?: string }>(
      images.DescribeImages,
      input,
      ctx,
    );
    return {
      imageDetails: out.imageDetails.map(pickImage),
      ...(out.nextToken ? { nextToken: out.nextToken } : {}),
    };
  };
  const batchDeleteImage: Handler<pub.BatchDeleteImageRequest, pub.BatchDeleteImageResponse> = (input, ctx) =>
    call<pub.BatchDeleteImageResponse>(images.BatchDeleteImage, input, ctx);
  const getAuthorizationToken: Handler<
    pub.GetAuthorizationTokenRequest,
    pub.GetAuthorizationTokenResponse
  > = (_input, ctx) => ({
    authorizationData: issueAuthorizationToken(deps, ctx, PUBLIC_REGISTRY),
  });
  const describeRegistries: Handler<pub.DescribeRegistriesRequest, pub.DescribeRegistriesResponse> = (
    _input,
    ctx,
  ) => ({
    registries: [
      {
        registryId: ctx.accountId,
        registryArn: `arn:aws:ecr-public::${ctx.accountId}:registry/${ctx.accountId}`,
        registryUri: `${deps.registryHost()}/${PUBLIC_REGISTRY}`,
        verified: false,
        aliases: [],
      },
    ],
  });

  return {
    id: "ecr-public",
    title: "Amazon ECR Public",
    signingName: "ecr-public",
    protocol: "awsJson1_1",
    targetPrefix: "SpencerFrontendService",
    model: new ServiceModel(sdk),
    validationError: Errors.InvalidParameter,
    authorization: ecrAuthorization({
      store: deps.store,
      compilePolicy: deps.compilePolicy,
      prefix: "ecr-public",
    }),
    handlers: {
      CreateRepository: createRepository,
      DescribeRepositories: describeRepositories,
      DeleteRepository: deleteRepository,
      DescribeImages: describeImages,
      BatchDeleteImage: batchDeleteImage,
      GetAuthorizationToken: getAuthorizationToken,
      DescribeRegistries: describeRegistries,
    },
    notes: {
      CreateRepository:
        "repositoryUri is `127.0.0.1:<port>/public/<name>`; anyone may pull from it anonymously; catalogData is echoed, not stored",
      DescribeRegistries: "one registry, no aliases",
      GetAuthorizationToken:
        "valid 12 hours; a token issued to a role session expires with the session at the latest",
    },
  };
}
