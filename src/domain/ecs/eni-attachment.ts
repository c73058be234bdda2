/**
 * The ElasticNetworkInterface attachment an awsvpc task shows in DescribeTasks: PRECREATED with the
 * subnet only while the task is provisioning, ATTACHED with the interface's details once the task's
 * network is up (the task reached PENDING), DELETED after the task stopped. Pure.
 */
import type { Attachment } from "@aws-sdk/client-ecs";
import type { TaskNetworkRecord } from "../../state/ecs/tasks.js";
import { privateDnsName } from "../ec2/cidr.js";

export type EniStatus = "PRECREATED" | "ATTACHED" | "DELETED";

export function eniAttachment(net: TaskNetworkRecord, region: string, status: EniStatus): Attachment {
  const details =
    status === "PRECREATED"
      ? [{ name: "subnetId", value: net.subnetId }]
      : [
          { name: "subnetId", value: net.subnetId },
          { name: "networkInterfaceId", value: net.eniId },
          { name: "macAddress", value: net.macAddress },
          { name: "privateDnsName", value: privateDnsName(net.privateIp, region) },
          { name: "privateIPv4Address", value: net.privateIp },
        ];
  return { id: net.attachmentId, type: "ElasticNetworkInterface", status, details };
}

/** The region of a task, from its ARN. */
export const regionOfArn = (arn: string): string => arn.split(":")[3] ?? "";
