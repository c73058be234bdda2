/** Amazon ECS (awsJson1_1, target prefix AmazonEC2ContainerServiceV20141113). */
import * as sdk from "@aws-sdk/client-ecs";
import type { StopHook } from "../../control/scheduler/applier.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import { getCluster } from "../../state/ecs/clusters.js";
import { AGENT_TIMEOUT_MS, getInstance } from "../../state/ecs/container-instances.js";
import { getTask } from "../../state/ecs/tasks.js";
import type { Store } from "../../state/store.js";
import type { ServiceDefinition } from "../service.js";
import { accountSettingHandlers } from "./account-settings.js";
import { attributeHandlers } from "./attributes.js";
import { ecsAuthorization } from "./authz.js";
import { clusterHandlers } from "./clusters.js";
import { containerInstanceHandlers } from "./container-instances.js";
import { type ServiceLoadBalancing, serviceHandlers, serviceTaggable } from "./services.js";
import { tagHandlers } from "./tags.js";
import { taskDefinitionHandlers, taskDefinitionTaggable } from "./task-definitions.js";
import { taskHandlers } from "./tasks.js";

export interface EcsDeps {
  store: Store;
  accountId: string;
  /** How long after its last call an agent counts as disconnected (default 60 s). */
  agentTimeoutMs?: number;
  /** Services behind load balancers: checking their loadBalancers, draining stopping tasks. */
  loadBalancing?: ServiceLoadBalancing & { beforeStop: StopHook };
}

let model: ServiceModel | undefined;
/** The ECS model, read once per process. */
export const ecsModel = () => (model ??= new ServiceModel(sdk));

export function ecsService(deps: EcsDeps): ServiceDefinition {
  const { store } = deps;
  const agentTimeoutMs = deps.agentTimeoutMs ?? AGENT_TIMEOUT_MS;
  const taggable = {
    cluster: {
      async find(tx: Parameters<typeof getCluster>[0], region: string, name: string) {
        const rec = await getCluster(tx, region, name);
        if (rec && rec.value.status !== "ACTIVE") {
          throw new AwsError(
            Errors.InvalidParameter,
            "The specified cluster is inactive. Specify an active cluster and try again.",
          );
        }
        return rec;
      },
    },
    "task-definition": taskDefinitionTaggable,
    service: serviceTaggable,
    task: {
      async find(tx: Parameters<typeof getCluster>[0], region: string, path: string) {
        const [cluster, id, extra] = path.split("/");
        if (!cluster || !id || extra !== undefined) {
          throw new AwsError(Errors.InvalidParameter, "Long arn format must be used for tagging operations");
        }
        return getTask(tx, region, cluster, id);
      },
    },
    "container-instance": {
      async find(tx: Parameters<typeof getCluster>[0], region: string, path: string) {
        const [cluster, id, extra] = path.split("/");
        if (!cluster || !id || extra !== undefined) {
          throw new AwsError(Errors.InvalidParameter, "Long arn format must be used for tagging operations");
        }
        return getInstance(tx, region, cluster, id);
      },
    },
  };
  return {
    id: "ecs",
    title: "Amazon ECS",
    signingName: "ecs",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonEC2ContainerServiceV20141113",
    model: ecsModel(),
    validationError: Errors.InvalidParameter,
    // ECS words it "Family should not be null or empty."
    missingMessage: (member) => `${member[0]!.toUpperCase()}${member.slice(1)} should not be null or empty.`,
    handlers: {
      ...clusterHandlers(store),
      ...taskDefinitionHandlers(store),
      ...tagHandlers(store, taggable),
      ...accountSettingHandlers(store),
      ...taskHandlers(store, {
        agentTimeoutMs,
        ...(deps.loadBalancing ? { beforeStop: deps.loadBalancing.beforeStop } : {}),
      }),
      ...containerInstanceHandlers(store, { agentTimeoutMs }),
      ...attributeHandlers(store),
      ...serviceHandlers(store, deps.loadBalancing ? { loadBalancing: deps.loadBalancing } : {}),
    },
    authorization: ecsAuthorization(store),
    notes: {
      RunTask:
        "Launch types EC2 and FARGATE (Berth-managed capacity on the host), capacity provider strategies over FARGATE and FARGATE_SPOT (which is never interrupted), awsvpc networkConfiguration with enforced security groups, platformVersion LATEST/1.4.0. assignPublicIp gives a host-reachable address (see README).",
      StartTask:
        "EC2 container instances, with awsvpc networkConfiguration (subnets in the instance's zone).",
      CreateService:
        "launchType EC2 or FARGATE, or a capacity provider strategy; awsvpc networkConfiguration; Fargate services spread over their subnets' zones; loadBalancers (ALB/NLB target groups, up to five) with healthCheckGracePeriodSeconds; rolling deployments (minimumHealthyPercent/maximumPercent, circuit breaker with rollback, thresholdConfiguration, resetOnHealthyTask). Refused with InvalidParameterException: serviceRegistries (Cloud Map), Service Connect, volumeConfigurations, deployment strategies other than ROLLING, lifecycle hooks, alarms.",
      UpdateService:
        "A new task definition, load balancers, network configuration, capacity provider strategy or platform version starts a new deployment, as does forceNewDeployment; desiredCount and deploymentConfiguration changes apply to the current one.",
    },
  };
}
