/**
 * Record kinds of ECS state and their key layouts. Keys start with the region so that every
 * region's state is separate, as on AWS.
 */
export const K = {
  /** `${region}/${clusterName}` */
  cluster: "ecs.cluster",
  /** `${region}/${family}/${revision padded to 10}` */
  taskDefinition: "ecs.taskdef",
  /** `${region}/${family}` — the revision counter and status summary of a family */
  family: "ecs.family",
  /** `${region}/${principalArn or "-"}/${name}` */
  accountSetting: "ecs.setting",
  /** `${region}/${clusterName}/${serviceName}` */
  service: "ecs.service",
  /** `${region}/${clusterName}/${serviceName}#${createdAt padded}#${id}` */
  serviceDeployment: "ecs.service-deployment",
  /** `${region}/${clusterName}/${serviceName}#${revision number}` */
  serviceRevision: "ecs.service-revision",
  /** `${region}/${clusterName}/${taskId}` */
  task: "ecs.task",
  /** `${region}/${clusterName}/${containerInstanceId}` */
  containerInstance: "ecs.instance",
  /** `${region}/${clusterName}/${containerInstanceId}/${taskId}` — index of tasks by instance */
  taskOnInstance: "ecs.task-on-instance",
  /** `${region}/${fargateHostId}/${clusterName}/${taskId}` — index of tasks by Fargate host */
  taskOnFargateHost: "ecs.task-on-fargate-host",
  /** `${region}/${clientToken}` — RunTask idempotency */
  runTaskToken: "ecs.runtask-token",
} as const;

export const padRevision = (rev: number) => String(rev).padStart(10, "0");
