/** Service event messages, worded as ECS words them. */
const MORE = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";

export const msg = {
  started: (service: string, taskIds: string[]) =>
    `(service ${service}) has started ${taskIds.length} tasks: ${taskIds.map((t) => `(task ${t})`).join(" ")}.`,
  stopped: (service: string, taskIds: string[]) =>
    `(service ${service}) has stopped ${taskIds.length} running tasks: ${taskIds.map((t) => `(task ${t})`).join(" ")}.`,
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  deploymentCompleted: (service: string, deployment: string) =>
    `(service ${service}) (deployment ${deployment}) deployment completed.`,
  deploymentFailed: (service: string, deployment: string) =>
    `(service ${service}) (deployment ${deployment}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deployment: string, to: string) =>
    `(service ${service}) (deployment ${deployment}) deployment failed: tasks failed to start. Rolling back to deployment ${to}.`,
  healthFailed: (service: string, taskId: string) =>
    `(service ${service}) (task ${taskId}) failed container health checks.`,
  registered: (service: string, count: number, targetGroupArn: string) =>
    `(service ${service}) registered ${count} targets in (target-group ${targetGroupArn})`,
  deregistered: (service: string, count: number, targetGroupArn: string) =>
    `(service ${service}) deregistered ${count} targets in (target-group ${targetGroupArn})`,
  draining: (service: string, tasks: number) =>
    `(service ${service}) has begun draining connections on ${tasks} tasks.`,
  /** `who` is `(instance i-...)` for instance targets, `(task ID)` for ip targets. */
  targetUnhealthy: (service: string, who: string, port: number, targetGroupArn: string, reason: string) =>
    `(service ${service}) ${who} (port ${port}) is unhealthy in (target-group ${targetGroupArn}) due to (reason ${reason}).`,
  throttled: (service: string) =>
    `(service ${service}) is unable to consistently start tasks successfully. ${MORE}`,
  launchFailed: (service: string, error: string) =>
    `service ${service} failed to launch a task with (error ${error}).`,
  noInstances: (service: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. ${MORE}`,
  noFargateCapacity: (service: string) =>
    `(service ${service}) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone. ${MORE}`,
  unplaceable: (service: string, instanceId: string, reason: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${instanceId}) ${reasonText(reason)}. ${MORE}`,
};

function reasonText(reason: string): string {
  switch (reason) {
    case "RESOURCE:CPU":
      return "has insufficient CPU units available";
    case "RESOURCE:MEMORY":
      return "has insufficient memory available";
    case "RESOURCE:PORTS":
      return "is already using a port required by your task";
    case "ATTRIBUTE":
      return "is missing an attribute required by your task";
    case "AGENT":
      return "has an agent that is not connected";
    case "DRAINING":
      return "is draining";
    case "DistinctInstance placement constraint unsatisfied.":
      return "is already running a task of this service (distinctInstance)";
    case "MemberOf placement constraint unsatisfied.":
      return "does not satisfy the memberOf placement constraint";
    default:
      return `cannot run the task (${reason})`;
  }
}

/** Events stay newest first and at most this many. */
export const MAX_EVENTS = 100;
