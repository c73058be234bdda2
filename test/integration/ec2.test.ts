/**
 * The EC2 networking API over the SDK: the default VPC a region starts with, VPCs, subnets, security
 * groups and their rules, tags, zones and regions, and AWS's error codes for bad requests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import { startBerth, type TestBerth } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";

/** The error's code and message with its HTTP status, as `400 Code: message`. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return `${e.$metadata?.httpStatusCode ?? "?"} ${e.name}: ${e.message}`;
  }
  return "no error";
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  return "no error";
}

describe("EC2 networking API", () => {
  let b: TestBerth;
  let ec2: EC2Client;

  before(async () => {
    b = await startBerth();
    ec2 = ec2Client(b);
  });
  after(async () => {
    await b.close();
  });

  it("starts every region with a default VPC, a default subnet per zone and a default security group", async () => {
    const { Vpcs } = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }),
    );
    assert.equal(Vpcs?.length, 1);
    const vpc = Vpcs![0]!;
    assert.equal(vpc.CidrBlock, "172.31.0.0/16");
    assert.equal(vpc.State, "available");
    assert.match(vpc.VpcId!, /^vpc-[0-9a-f]{17}$/);
    const { Subnets } = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }),
    );
    assert.deepEqual(Subnets!.map((s) => s.AvailabilityZone).sort(), [
      "us-east-1a",
      "us-east-1b",
      "us-east-1c",
    ]);
    assert.ok(
      Subnets!.every((s) => s.DefaultForAz && s.MapPublicIpOnLaunch && s.AvailableIpAddressCount === 4091),
    );
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }),
    );
    assert.equal(SecurityGroups?.length, 1);
    const sg = SecurityGroups![0]!;
    assert.equal(sg.GroupName, "default");
    assert.equal(sg.Description, "default VPC security group");
    assert.deepEqual(sg.IpPermissions, [
      {
        IpProtocol: "-1",
        UserIdGroupPairs: [{ GroupId: sg.GroupId, UserId: "000000000000" }],
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      },
    ]);
    assert.deepEqual(sg.IpPermissionsEgress![0]!.IpRanges, [{ CidrIp: "0.0.0.0/0" }]);
    // Another region has its own default VPC.
    const west = ec2Client(b, { region: "us-west-2" });
    const other = await west.send(new DescribeVpcsCommand({}));
    assert.equal(other.Vpcs?.length, 1);
    assert.notEqual(other.Vpcs![0]!.VpcId, vpc.VpcId);
    assert.equal(
      await code(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg.GroupId }))),
      `CannotDelete: the specified group: "${sg.GroupId}" name: "default" cannot be deleted by a user`,
    );
  });

  it("creates, describes and deletes VPCs and subnets, with AWS's checks", async () => {
    const { Vpc } = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: "10.20.0.0/16",
        TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "lab" }] }],
      }),
    );
    assert.equal(Vpc?.State, "pending");
    assert.deepEqual(Vpc?.Tags, [{ Key: "Name", Value: "lab" }]);
    const vpcId = Vpc!.VpcId!;
    const byTag = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: "tag:Name", Values: ["la*"] }] }),
    );
    assert.deepEqual(
      byTag.Vpcs!.map((v) => v.VpcId),
      [vpcId],
    );
    assert.equal(
      await code(ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/8" }))),
      "InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid.",
    );
    assert.equal(
      await code(ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.1/16" }))),
      "InvalidParameterValue: Value (10.0.0.1/16) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
    );
    const { Subnet } = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.20.1.0/24", AvailabilityZone: "us-east-1b" }),
    );
    assert.equal(Subnet?.AvailableIpAddressCount, 251);
    assert.equal(Subnet?.AvailabilityZoneId, "use1-az2");
    assert.equal(
      await code(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.20.1.128/25" }))),
      "InvalidSubnet.Conflict: The CIDR '10.20.1.128/25' conflicts with another subnet",
    );
    assert.equal(
      await code(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.21.0.0/24" }))),
      "InvalidSubnet.Range: The CIDR '10.21.0.0/24' is invalid.",
    );
    assert.equal(
      await code(
        ec2.send(
          new CreateSubnetCommand({
            VpcId: vpcId,
            CidrBlock: "10.20.2.0/24",
            AvailabilityZone: "us-east-1z",
          }),
        ),
      ),
      "InvalidParameterValue: Value (us-east-1z) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: us-east-1a, us-east-1b, us-east-1c.",
    );
    assert.equal(
      await code(
        ec2.send(new CreateSubnetCommand({ VpcId: "vpc-0123456789abcdef0", CidrBlock: "10.20.2.0/24" })),
      ),
      "InvalidVpcID.NotFound: The vpc ID 'vpc-0123456789abcdef0' does not exist",
    );
    assert.equal(
      await code(ec2.send(new DeleteVpcCommand({ VpcId: vpcId }))),
      `DependencyViolation: The vpc '${vpcId}' has dependencies and cannot be deleted.`,
    );
    await ec2.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId! }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
    assert.equal(
      await code(ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))),
      `InvalidVpcID.NotFound: The vpc ID '${vpcId}' does not exist`,
    );
    assert.equal(
      await code(ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-zz"] }))),
      'InvalidVpcID.Malformed: Invalid id: "vpc-zz" (expecting "vpc-...")',
    );
    assert.equal(
      await code(ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "colour", Values: ["x"] }] }))),
      "InvalidParameterValue: The filter 'colour' is invalid",
    );
    assert.equal(
      await code(ec2.send(new CreateVpcCommand({ CidrBlock: "10.9.0.0/16", DryRun: true }))),
      "DryRunOperation: Request would have succeeded, but DryRun flag is set.",
    );
  });

  it("manages security groups and their rules: CIDR and group peers, duplicates, revoke by rule or id", async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.30.0.0/16" }));
    const vpcId = Vpc!.VpcId!;
    const web = (
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: "web", Description: "web tier", VpcId: vpcId }),
      )
    ).GroupId!;
    const app = (
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: "app", Description: "app tier", VpcId: vpcId }),
      )
    ).GroupId!;
    assert.equal(
      await code(
        ec2.send(new CreateSecurityGroupCommand({ GroupName: "web", Description: "again", VpcId: vpcId })),
      ),
      `InvalidGroup.Duplicate: The security group 'web' already exists for VPC '${vpcId}'`,
    );
    const added = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: app,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 8080,
            ToPort: 8081,
            UserIdGroupPairs: [{ GroupId: web, Description: "from web" }],
          },
          { IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.30.0.0/24" }] },
        ],
      }),
    );
    assert.equal(added.Return, true);
    assert.equal(added.SecurityGroupRules?.length, 2);
    assert.deepEqual(added.SecurityGroupRules![0]!.ReferencedGroupInfo, {
      GroupId: web,
      UserId: "000000000000",
    });
    assert.equal(added.SecurityGroupRules![1]!.IpProtocol, "tcp");
    assert.equal(
      await code(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [
              { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.30.0.0/24" }] },
            ],
          }),
        ),
      ),
      'InvalidPermission.Duplicate: the specified rule "peer: 10.30.0.0/24, TCP, from port: 22, to port: 22, ALLOW" already exists',
    );
    assert.equal(
      await code(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [{ IpProtocol: "tcp", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
          }),
        ),
      ),
      "InvalidParameterValue: Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
    );
    assert.equal(
      await code(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [{ IpProtocol: "bogus", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
          }),
        ),
      ),
      "InvalidParameterValue: Invalid value 'bogus' for IP protocol. Unknown protocol.",
    );
    // A group of another VPC cannot be a peer.
    const defaultSg = (
      await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["default"] }] }),
      )
    ).SecurityGroups!.find((g) => g.VpcId !== vpcId)!.GroupId!;
    assert.match(
      await code(
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [{ IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: defaultSg }] }],
          }),
        ),
      ),
      /^InvalidGroup.NotFound: You have specified two resources that belong to different networks/,
    );
    const described = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [app] })))
      .SecurityGroups![0]!;
    assert.deepEqual(
      described.IpPermissions!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]),
      [
        ["tcp", 8080, 8081],
        ["tcp", 22, 22],
      ],
    );
    const byFilter = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.group-id", Values: [web] }] }),
    );
    assert.deepEqual(
      byFilter.SecurityGroups!.map((g) => g.GroupId),
      [app],
    );
    const rules = (
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [app] }] }),
      )
    ).SecurityGroupRules!;
    assert.equal(rules.length, 3); // two inbound, the default outbound
    assert.ok(
      rules.every((r) =>
        r.SecurityGroupRuleArn?.startsWith("arn:aws:ec2:us-east-1:000000000000:security-group-rule/sgr-"),
      ),
    );
    // Revoke by rule, then by id; a rule that is not there is an error.
    const revoked = await ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: app,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.30.0.0/24" }] },
        ],
      }),
    );
    assert.equal(revoked.RevokedSecurityGroupRules?.length, 1);
    assert.equal(
      await code(
        ec2.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: app,
            IpPermissions: [
              { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.30.0.0/24" }] },
            ],
          }),
        ),
      ),
      "InvalidPermission.NotFound: The specified rule does not exist in this security group.",
    );
    assert.equal(
      await code(ec2.send(new DeleteSecurityGroupCommand({ GroupId: web }))),
      `DependencyViolation: resource ${web} has a dependent object`,
    );
    const fromWeb = rules.find((r) => r.ReferencedGroupInfo?.GroupId === web)!.SecurityGroupRuleId!;
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: app, SecurityGroupRuleIds: [fromWeb] }));
    // Egress: replace "all outbound" with one port.
    await ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: app,
        IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      }),
    );
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: app,
        IpPermissions: [
          { IpProtocol: "udp", FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: "10.30.0.2/32" }] },
        ],
      }),
    );
    const after = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [app] })))
      .SecurityGroups![0]!;
    assert.deepEqual(after.IpPermissions, []);
    assert.deepEqual(
      after.IpPermissionsEgress!.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges![0]!.CidrIp]),
      [["udp", 53, "10.30.0.2/32"]],
    );
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: web }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: app }));
    await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }));
  });

  it("tags resources and lists tags, zones, regions and (no) network interfaces", async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: "10.40.0.0/16" }));
    const id = Vpc!.VpcId!;
    await ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: "team", Value: "core" },
          { Key: "env", Value: "dev" },
        ],
      }),
    );
    const tags = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [id] }] }),
    );
    assert.deepEqual(
      tags.Tags!.map((t) => [t.Key, t.Value, t.ResourceType]),
      [
        ["env", "dev", "vpc"],
        ["team", "core", "vpc"],
      ],
    );
    await ec2.send(
      new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "team", Value: "other" }, { Key: "env" }] }),
    );
    const left = await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] }));
    assert.deepEqual(left.Vpcs![0]!.Tags, [{ Key: "team", Value: "core" }]);
    assert.equal(
      await code(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "aws:x", Value: "y" }] }))),
      "InvalidParameterValue: Tag keys starting with 'aws:' are reserved for internal use",
    );
    assert.equal(
      await code(ec2.send(new CreateTagsCommand({ Resources: ["i-123"], Tags: [{ Key: "a", Value: "b" }] }))),
      "InvalidID: The ID 'i-123' is not valid",
    );
    await ec2.send(new DeleteVpcCommand({ VpcId: id }));
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    assert.deepEqual(
      zones.AvailabilityZones!.map((z) => [z.ZoneName, z.ZoneId, z.State]),
      [
        ["us-east-1a", "use1-az1", "available"],
        ["us-east-1b", "use1-az2", "available"],
        ["us-east-1c", "use1-az3", "available"],
      ],
    );
    const regions = await ec2.send(new DescribeRegionsCommand({ RegionNames: ["eu-west-1"] }));
    assert.deepEqual(regions.Regions, [
      {
        Endpoint: "ec2.eu-west-1.amazonaws.com",
        RegionName: "eu-west-1",
        OptInStatus: "opt-in-not-required",
      },
    ]);
    const enis = await ec2.send(new DescribeNetworkInterfacesCommand({}));
    assert.deepEqual(enis.NetworkInterfaces, []);
  });

  it("answers names and ids that are JavaScript prototype keys as unknown, with AWS's 400s", async () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      assert.equal(
        await failure(ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: name, Values: ["x"] }] }))),
        `400 InvalidParameterValue: The filter '${name}' is invalid`,
      );
      assert.equal(
        await failure(ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: name, Values: ["x"] }] }))),
        `400 InvalidParameterValue: The filter '${name}' is invalid`,
      );
    }
    for (const id of ["constructor-0123abcd", "toString-0123abcd", "__proto__-0123abcd"]) {
      assert.equal(
        await failure(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "a", Value: "b" }] }))),
        `400 InvalidID: The ID '${id}' is not valid`,
      );
      assert.equal(
        await failure(ec2.send(new DeleteTagsCommand({ Resources: [id] }))),
        `400 InvalidID: The ID '${id}' is not valid`,
      );
    }
    // The same answer as for any other unknown prefix.
    assert.equal(
      await failure(
        ec2.send(new CreateTagsCommand({ Resources: ["i-0123abcd"], Tags: [{ Key: "a", Value: "b" }] })),
      ),
      "400 InvalidID: The ID 'i-0123abcd' is not valid",
    );
    // The signed region is user input too: a prototype key in it is no compass direction.
    const odd = ec2Client(b, { region: "us-constructor-1" });
    const zones = await odd.send(new DescribeAvailabilityZonesCommand({}));
    assert.deepEqual(
      zones.AvailabilityZones!.map((z) => z.ZoneId),
      ["usc1-az1", "usc1-az2", "usc1-az3"],
    );
  });

  it("matches wildcard filters in linear time, however the pattern is made", async () => {
    const { Vpcs } = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }),
    );
    const id = Vpcs![0]!.VpcId!;
    const value = "a".repeat(256);
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: "long", Value: value }] }));
    try {
      const none = await ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: "tag-value", Values: ["*a*a*a*a*a*a*b"] }] }),
      );
      assert.deepEqual(none.Vpcs, []);
      const some = await ec2.send(
        new DescribeVpcsCommand({ Filters: [{ Name: "tag-value", Values: ["*a*a*a*a*a*a*a"] }] }),
      );
      assert.deepEqual(
        some.Vpcs!.map((v) => v.VpcId),
        [id],
      );
    } finally {
      await ec2.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: "long" }] }));
    }
  });

  it("pages Describe results with MaxResults and NextToken", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${50 + i}.0.0/16` }))).Vpc!.VpcId!);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeVpcsCommand({ MaxResults: 5, ...(token ? { NextToken: token } : {}) }),
      );
      seen.push(...page.Vpcs!.map((v) => v.VpcId!));
      token = page.NextToken;
    } while (token);
    assert.equal(seen.length, 4);
    assert.equal(
      await code(ec2.send(new DescribeVpcsCommand({ MaxResults: 2 }))),
      "InvalidParameterValue: Value ( 2 ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.",
    );
    ids.push((await ec2.send(new CreateVpcCommand({ CidrBlock: "10.60.0.0/16" }))).Vpc!.VpcId!);
    assert.equal(
      await code(ec2.send(new CreateVpcCommand({ CidrBlock: "10.61.0.0/16" }))),
      "VpcLimitExceeded: The maximum number of VPCs has been reached.",
    );
    for (const id of ids) await ec2.send(new DeleteVpcCommand({ VpcId: id }));
  });
});
