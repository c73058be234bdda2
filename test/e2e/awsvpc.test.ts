/**
 * awsvpc networking and security groups on the real Docker engine, with Fargate tasks on the
 * Berth-managed Fargate host: tasks get addresses from their subnets and reach each other only as
 * their security groups allow (changes apply to running tasks within a second), other VPCs are
 * isolated, containers of a task share localhost, and DNS and the metadata endpoint work inside tasks.
 * Connections are made from the tasks' own network namespaces; everything stays on this machine.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import {
  type ContainerDefinition,
  CreateClusterCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { routerNetns } from "../../src/agent/network/vpc-router.js";
import { detail, execIn, fetchFrom, leftovers, pausePid, privateIp } from "../helpers/awsvpc.js";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";

const CLUSTER = "vpc";

describe("awsvpc networking and security groups (Fargate, real Docker)", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let ec2: EC2Client;
  let subnetA: string;
  const vpcs: string[] = [];
  const running: string[] = [];
  let family = 0;

  before(async () => {
    // A Fargate host and an EC2 container instance on this host: they share its VPC routers.
    b = await startBerth({
      agent: { cleanupWaitMs: 0, pullBehavior: "prefer-cached" },
      fargate: { cleanupWaitMs: 0 },
    });
    ecs = b.ecs();
    ec2 = ec2Client(b);
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!;
    subnetA = subnets.find((s) => s.AvailabilityZone === "us-east-1a")!.SubnetId!;
    vpcs.push(subnets[0]!.VpcId!);
  });
  after(async () => {
    await b.close();
    // Nothing of the VPCs' routers is left on the host.
    const left = await leftovers();
    for (const vpc of vpcs)
      assert.ok(!left.namespaces.includes(routerNetns(vpc)), `router of ${vpc} removed`);
  });

  async function group(name: string, vpcId?: string): Promise<string> {
    const r = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${name}-${process.pid}`,
        Description: name,
        ...(vpcId ? { VpcId: vpcId } : {}),
      }),
    );
    return r.GroupId!;
  }

  async function fargateTask(
    containers: ContainerDefinition[],
    subnet: string,
    groups: string[],
    launchType: "FARGATE" | "EC2" = "FARGATE",
  ): Promise<Task> {
    const fam = `vpc-${process.pid}-${++family}`;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: fam,
        networkMode: "awsvpc",
        requiresCompatibilities: [launchType],
        cpu: "256",
        memory: "512",
        containerDefinitions: containers.map((c) => ({ stopTimeout: 2, ...c })),
      }),
    );
    const r = await ecs.send(
      new RunTaskCommand({
        cluster: launchType === "EC2" ? "default" : CLUSTER,
        taskDefinition: fam,
        launchType,
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: groups } },
      }),
    );
    assert.deepEqual(r.failures, []);
    const arn = r.tasks![0]!.taskArn!;
    running.push(arn);
    return eventually(
      async () => {
        const cluster = arn.split("/")[1]!;
        const t = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
        if (t.lastStatus === "STOPPED") throw new Error(`task stopped: ${t.stoppedReason}`);
        return t.lastStatus === "RUNNING" ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `task ${arn} running` },
    );
  }

  async function stopAll(): Promise<void> {
    for (const arn of running.splice(0))
      await ecs.send(new StopTaskCommand({ cluster: arn.split("/")[1]!, task: arn, reason: "done" }));
  }

  const web = (port: number, name = `web${port}`): ContainerDefinition => ({
    name,
    image: "berth-test/http",
    environment: [{ name: "PORT", value: String(port) }],
    portMappings: [{ containerPort: port }],
  });
  const idle: ContainerDefinition = {
    name: "client",
    image: "berth-test/busybox",
    command: ["sleep", "3600"],
  };

  /** Can `from` (a task) open `ip:port`? Asked until the answer is `want`, at most `withinMs`. */
  async function reaches(
    from: Task,
    ip: string,
    port: number,
    want: boolean,
    withinMs: number,
  ): Promise<number> {
    const pid = await pausePid(from.taskArn!);
    const start = Date.now();
    await eventually(
      async () => ((await fetchFrom(pid, `http://${ip}:${port}/health`, 0.3)) === "ok\n") === want,
      {
        timeoutMs: withinMs,
        intervalMs: 20,
        what: `${want ? "reach" : "no longer reach"} ${ip}:${port}`,
      },
    );
    return Date.now() - start;
  }

  /** `from` cannot open `ip:port`, asked twice. */
  async function neverReaches(from: Task, ip: string, port: number): Promise<void> {
    const pid = await pausePid(from.taskArn!);
    for (let i = 0; i < 2; i++)
      assert.equal(
        await fetchFrom(pid, `http://${ip}:${port}/health`, 0.3),
        undefined,
        `${ip}:${port} unreachable`,
      );
  }

  it("enforces security groups between tasks of a subnet, applies changes within a second, isolates VPCs", async () => {
    const serverSg = await group("server");
    const clientSg = await group("client");
    const otherSg = await group("other");
    // B serves on 8080 and 9090 (two containers sharing the task's namespace); A and C are clients.
    const [B, A, C] = await Promise.all([
      fargateTask([web(8080), web(9090)], subnetA, [serverSg]),
      fargateTask([idle], subnetA, [clientSg]),
      fargateTask([idle], subnetA, [otherSg]),
    ]);
    const ipB = privateIp(B);
    assert.match(ipB, /^172\.31\.0\.([4-9]|\d\d+)$/);
    assert.equal(detail(B, "privateDnsName"), `ip-${ipB.replace(/\./g, "-")}.ec2.internal`);
    assert.match(detail(B, "macAddress")!, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.equal(B.availabilityZone, "us-east-1a");
    assert.equal(B.capacityProviderName, "FARGATE");
    assert.equal(B.containerInstanceArn, undefined);
    // B's containers share localhost; B serves before anyone is allowed in.
    const pidB = await pausePid(B.taskArn!);
    assert.equal(await fetchFrom(pidB, "http://127.0.0.1:9090/health", 2), "ok\n");
    assert.equal(await fetchFrom(pidB, `http://${ipB}:8080/health`, 2), "ok\n");

    // Deny by default inbound.
    await neverReaches(A, ipB, 8080);
    // Admit A's group on 8080 only.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: serverSg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: clientSg }] },
        ],
      }),
    );
    const granted = await reaches(A, ipB, 8080, true, 1000);
    await neverReaches(A, ipB, 9090);
    await neverReaches(C, ipB, 8080);
    // Revoking blocks new connections within a second.
    await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: serverSg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: clientSg }] },
        ],
      }),
    );
    const revoked = await reaches(A, ipB, 8080, false, 1000);
    // A CIDR rule admits by address: C's.
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: serverSg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 9000, ToPort: 9100, IpRanges: [{ CidrIp: `${privateIp(C)}/32` }] },
        ],
      }),
    );
    await reaches(C, ipB, 9090, true, 1000);
    await neverReaches(A, ipB, 9090);

    // Another VPC (with the same addresses, even) cannot reach B, whatever B's rules say.
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: "172.31.0.0/16" }));
    vpcs.push(Vpc!.VpcId!);
    const subnet2 = (
      await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock: "172.31.0.0/24" }))
    ).Subnet!.SubnetId!;
    const dSg = await group("d", Vpc!.VpcId!);
    const D = await fargateTask([idle], subnet2, [dSg]);
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: serverSg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
        ],
      }),
    );
    await reaches(A, ipB, 8080, true, 1000);
    await neverReaches(D, ipB, 8080);
    console.log(`# security group change applied in ${granted} ms (authorize), ${revoked} ms (revoke)`);

    // The interfaces are EC2 network interfaces too.
    const enis = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [serverSg] }] }),
    );
    assert.deepEqual(
      enis.NetworkInterfaces!.map((n) => [
        n.NetworkInterfaceId,
        n.PrivateIpAddress,
        n.Status,
        n.Attachment?.Status,
      ]),
      [[detail(B, "networkInterfaceId"), ipB, "in-use", "attached"]],
    );
    assert.match(
      enis.NetworkInterfaces![0]!.Description!,
      /^arn:aws:ecs:us-east-1:000000000000:attachment\//,
    );

    // Stop everything: interfaces are released, groups and the VPC can go.
    await stopAll();
    await eventually(
      async () => (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!.length === 0,
      { timeoutMs: 30_000, what: "interfaces released" },
    );
    const stopped = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [B.taskArn!] })))
      .tasks![0]!;
    assert.equal(stopped.attachments![0]!.status, "DELETED");
    for (const g of [serverSg, clientSg, otherSg, dSg])
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: g }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet2 }));
    await ec2.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId! }));
  });

  it("gives tasks the VPC's DNS and the task metadata endpoint", async () => {
    const sg = await group("dns");
    const A = await fargateTask([idle], subnetA, [sg]);
    const ipA = privateIp(A);
    const container = A.containers![0]!.runtimeId!;
    // EC2's private names resolve to their address; other names go to the host's resolvers.
    const dashed = `ip-${ipA.replace(/\./g, "-")}.ec2.internal`;
    const resolved = await execIn(container, ["nslookup", dashed]);
    assert.match(resolved, new RegExp(`Address:\\s+${ipA.replace(/\./g, "\\.")}`));
    assert.match(await execIn(container, ["cat", "/etc/resolv.conf"]), /nameserver 172\.31\.0\.2/);
    assert.equal((await execIn(container, ["hostname"])).trim(), dashed);
    // The metadata endpoint at 169.254.170.2, as the container's environment says.
    const env = await execIn(container, ["env"]);
    const uri = /ECS_CONTAINER_METADATA_URI_V4=(\S+)/.exec(env)![1]!;
    assert.match(env, /AWS_EXECUTION_ENV=AWS_ECS_FARGATE/);
    const pid = await pausePid(A.taskArn!);
    const task = JSON.parse((await fetchFrom(pid, `${uri}/task`, 2))!) as Record<string, unknown>;
    assert.equal(task.LaunchType, "FARGATE");
    assert.equal(task.AvailabilityZone, "us-east-1a");
    assert.deepEqual(task.Limits, { CPU: 0.25, Memory: 512 });
    const net = (task.Containers as { Networks: Record<string, unknown>[] }[])[0]!.Networks[0]!;
    assert.equal(net.NetworkMode, "awsvpc");
    assert.deepEqual(net.IPv4Addresses, [ipA]);
    assert.equal(net.IPv4SubnetCIDRBlock, "172.31.0.0/20");
    assert.equal(net.SubnetGatewayIpv4Address, "172.31.0.1/20");
    assert.equal(net.PrivateDNSName, dashed);
    await stopAll();
    await eventually(
      async () => (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!.length === 0,
      { timeoutMs: 30_000, what: "interface released" },
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
  });

  it("puts awsvpc tasks of an EC2 container instance and Fargate tasks in one VPC", async () => {
    const sg = await group("mixed");
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: sg,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: sg }] },
        ],
      }),
    );
    const [onEc2, onFargate] = await Promise.all([
      fargateTask([web(8080)], subnetA, [sg], "EC2"),
      fargateTask([web(8080)], subnetA, [sg]),
    ]);
    assert.equal(onEc2.launchType, "EC2");
    assert.match(onEc2.containerInstanceArn!, /:container-instance\/default\//);
    assert.equal(onEc2.attachments![0]!.status, "ATTACHED");
    await reaches(onFargate, privateIp(onEc2), 8080, true, 5000);
    await reaches(onEc2, privateIp(onFargate), 8080, true, 5000);
    await stopAll();
    await eventually(
      async () => (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!.length === 0,
      { timeoutMs: 30_000, what: "interfaces released" },
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
  });
});
