/**
 * EC2 rules that are pure: CIDR arithmetic, security group permissions (request forms → rules, AWS's
 * wording, grouping back), Describe filters, and rules resolved for the data path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  containsCidr,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  privateDnsName,
  usableCount,
  usableRange,
} from "../../src/domain/ec2/cidr.js";
import { checkFilters, matchesFilters } from "../../src/domain/ec2/filters.js";
import { isEc2Id } from "../../src/domain/ec2/ids.js";
import {
  normalizeProtocol,
  peerText,
  rulesOf,
  sameRule,
  toIpPermissions,
} from "../../src/domain/ec2/permissions.js";
import { interfacePolicy } from "../../src/domain/ec2/policy.js";
import { regionCode, zonesOf } from "../../src/domain/ec2/zones.js";
import { AwsError } from "../../src/errors/catalog.js";
import type { RuleRecord, SecurityGroupRecord } from "../../src/state/ec2/records.js";

const err = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof AwsError ? `${e.def.query?.code ?? e.def.code}: ${e.message}` : String(e);
  }
  return "no error";
};

describe("CIDR arithmetic", () => {
  it("parses addresses and blocks strictly", () => {
    assert.equal(parseIp("10.0.0.255"), 0x0a0000ff);
    for (const bad of ["10.0.0", "10.0.0.256", "010.0.0.1", "a.b.c.d"])
      assert.equal(parseIp(bad), undefined, bad);
    assert.deepEqual(parseCidr("172.31.16.0/20"), { base: parseIp("172.31.16.0"), prefix: 20 });
    assert.equal(parseCidr("172.31.16.1/20"), undefined, "host bits set");
    assert.deepEqual(parseCidr("172.31.16.1/20", false), { base: parseIp("172.31.16.0"), prefix: 20 });
    assert.equal(parseCidr("10.0.0.0/33"), undefined);
    assert.equal(formatIp(parseIp("192.168.1.2")!), "192.168.1.2");
  });

  it("knows containment, overlap and the addresses AWS keeps for itself", () => {
    const vpc = parseCidr("10.0.0.0/16")!;
    assert.ok(containsCidr(vpc, parseCidr("10.0.3.0/24")!));
    assert.ok(!containsCidr(vpc, parseCidr("10.1.0.0/24")!));
    assert.ok(overlaps(parseCidr("10.0.0.0/24")!, parseCidr("10.0.0.128/25")!));
    assert.ok(!overlaps(parseCidr("10.0.0.0/25")!, parseCidr("10.0.0.128/25")!));
    const s = parseCidr("10.0.1.0/24")!;
    assert.equal(usableCount(s), 251);
    assert.deepEqual(Object.values(usableRange(s)).map(formatIp), ["10.0.1.4", "10.0.1.254"]);
    assert.equal(privateDnsName("10.0.1.5", "us-east-1"), "ip-10-0-1-5.ec2.internal");
    assert.equal(privateDnsName("10.0.1.5", "eu-west-1"), "ip-10-0-1-5.eu-west-1.compute.internal");
  });

  it("names zones and ids as AWS does", () => {
    assert.equal(regionCode("us-east-1"), "use1");
    assert.equal(regionCode("ap-southeast-2"), "apse2");
    // A signed region is user input: a prototype key is no direction.
    assert.equal(regionCode("us-constructor-1"), "usc1");
    assert.deepEqual(zonesOf("us-constructor-1")[0], { name: "us-constructor-1a", id: "usc1-az1" });
    assert.deepEqual(zonesOf("eu-west-1")[2], { name: "eu-west-1c", id: "euw1-az3" });
    assert.ok(isEc2Id("sg", "sg-0123456789abcdef0"));
    assert.ok(isEc2Id("vpc", "vpc-12345678"));
    assert.ok(!isEc2Id("vpc", "vpc-1234567"));
  });
});

describe("security group permissions", () => {
  const none = () => {
    throw new Error("no group expected");
  };

  it("turns IpPermissions and the legacy form into one rule per peer", () => {
    const rules = rulesOf(
      false,
      {
        IpPermissions: [
          {
            IpProtocol: "TCP",
            FromPort: 80,
            ToPort: 443,
            IpRanges: [{ CidrIp: "10.0.0.0/16", Description: "lan" }, { CidrIp: "0.0.0.0/0" }],
            UserIdGroupPairs: [{ GroupId: "sg-0123456789abcdef0" }],
          },
        ],
      },
      (g) => g.groupId!,
    );
    assert.deepEqual(
      rules.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidrIpv4 ?? r.groupId, r.description]),
      [
        ["tcp", 80, 443, "10.0.0.0/16", "lan"],
        ["tcp", 80, 443, "0.0.0.0/0", undefined],
        ["tcp", 80, 443, "sg-0123456789abcdef0", undefined],
      ],
    );
    const legacy = rulesOf(true, { IpProtocol: "17", FromPort: 53, ToPort: 53, CidrIp: "10.0.0.2/32" }, none);
    assert.deepEqual(legacy[0], {
      egress: true,
      protocol: "udp",
      fromPort: 53,
      toPort: 53,
      cidrIpv4: "10.0.0.2/32",
    });
    const all = rulesOf(
      false,
      { IpPermissions: [{ IpProtocol: "-1", FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] },
      none,
    );
    assert.deepEqual([all[0]!.fromPort, all[0]!.toPort], [-1, -1]);
  });

  it("accepts any protocol number 0-255, 0 (HOPOPT) included, as EC2 does", () => {
    assert.equal(normalizeProtocol("0"), "0");
    assert.equal(normalizeProtocol("000"), "0");
    assert.equal(normalizeProtocol("47"), "47");
    assert.equal(normalizeProtocol("17"), "udp");
    assert.equal(
      err(() => normalizeProtocol("256")),
      "InvalidParameterValue: Invalid value '256' for IP protocol. Unknown protocol.",
    );
  });

  it("refuses bad permissions with EC2's codes and words", () => {
    assert.equal(
      err(() =>
        rulesOf(false, { IpPermissions: [{ IpProtocol: "tcp", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }, none),
      ),
      "InvalidParameterValue: Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.",
    );
    assert.equal(
      err(() => normalizeProtocol("gre-ish")),
      "InvalidParameterValue: Invalid value 'gre-ish' for IP protocol. Unknown protocol.",
    );
    assert.equal(
      err(() =>
        rulesOf(
          false,
          {
            IpPermissions: [
              { IpProtocol: "tcp", FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: "1.2.3.4/8" }] },
            ],
          },
          none,
        ),
      ),
      "InvalidParameterValue: CIDR block 1.2.3.4/8 is malformed",
    );
    assert.equal(
      err(() =>
        rulesOf(
          false,
          { CidrIp: "0.0.0.0/0", IpPermissions: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] },
          none,
        ),
      ).split(":")[0],
      "InvalidParameterCombination",
    );
    assert.equal(
      err(() =>
        rulesOf(false, { IpPermissions: [{ IpProtocol: "tcp", FromPort: 1, ToPort: 2 }] }, none),
      ).split(":")[0],
      "MissingParameter",
    );
    assert.equal(
      err(() =>
        rulesOf(
          false,
          { IpPermissions: [{ IpProtocol: "-1", PrefixListIds: [{ PrefixListId: "pl-1" }] }] },
          none,
        ),
      ),
      "InvalidPrefixListId.NotFound: The prefix list 'pl-1' does not exist.",
    );
  });

  it("words duplicates as AWS does and groups rules back into IpPermissions", () => {
    const [tcp] = rulesOf(
      false,
      {
        IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
      },
      none,
    );
    assert.equal(peerText(tcp!), "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW");
    assert.equal(
      peerText({ ...tcp!, protocol: "-1", fromPort: -1, toPort: -1 }),
      "peer: 0.0.0.0/0, ALL, ALLOW",
    );
    assert.equal(
      peerText({ ...tcp!, protocol: "50", fromPort: -1, toPort: -1 }),
      "peer: 0.0.0.0/0, protocol: 50, ALLOW",
    );
    assert.ok(sameRule(tcp!, { ...tcp!, description: "other words" }));
    const records: RuleRecord[] = [
      { ...tcp!, id: "sgr-1", tags: [] },
      { ...tcp!, id: "sgr-2", cidrIpv4: undefined, groupId: "sg-1", tags: [] } as RuleRecord,
      {
        id: "sgr-3",
        egress: false,
        protocol: "-1",
        fromPort: -1,
        toPort: -1,
        cidrIpv4: "10.0.0.0/8",
        tags: [],
      },
    ];
    assert.deepEqual(toIpPermissions(records, "000000000000"), [
      {
        IpProtocol: "tcp",
        FromPort: 22,
        ToPort: 22,
        UserIdGroupPairs: [{ GroupId: "sg-1", UserId: "000000000000" }],
        IpRanges: [{ CidrIp: "0.0.0.0/0" }],
        Ipv6Ranges: [],
        PrefixListIds: [],
      },
      {
        IpProtocol: "-1",
        UserIdGroupPairs: [],
        IpRanges: [{ CidrIp: "10.0.0.0/8" }],
        Ipv6Ranges: [],
        PrefixListIds: [],
      },
    ]);
  });
});

describe("Describe filters", () => {
  const fields = { "vpc-id": (v: { id: string; tags: { Key: string; Value: string }[] }) => [v.id] };
  const v = { id: "vpc-1", tags: [{ Key: "Name", Value: "lab-a" }] };

  it("match any value of a filter, every filter, with wildcards and tags", () => {
    assert.ok(matchesFilters(v, [{ Name: "vpc-id", Values: ["vpc-2", "vpc-1"] }], fields));
    assert.ok(matchesFilters(v, [{ Name: "tag:Name", Values: ["lab-?"] }], fields));
    assert.ok(matchesFilters(v, [{ Name: "tag-key", Values: ["N*"] }], fields));
    assert.ok(
      !matchesFilters(
        v,
        [
          { Name: "vpc-id", Values: ["vpc-1"] },
          { Name: "tag:Name", Values: ["x"] },
        ],
        fields,
      ),
    );
    assert.ok(!matchesFilters(v, [{ Name: "vpc-id", Values: ["vpc-1."] }], fields), "a dot is no wildcard");
    assert.equal(
      err(() => checkFilters([{ Name: "colour", Values: ["x"] }], fields, true)),
      "InvalidParameterValue: The filter 'colour' is invalid",
    );
  });

  it("match a pathological pattern against a long value without backtracking blow-up", () => {
    // As a backtracking regular expression this takes exponential time and blocks the event loop.
    const aaa = "a".repeat(256);
    const tagged = { id: "vpc-1", tags: [{ Key: "k", Value: aaa }] };
    assert.equal(matchesFilters(tagged, [{ Name: "tag-value", Values: ["*a*a*a*a*a*a*b"] }], fields), false);
    assert.equal(matchesFilters(tagged, [{ Name: "tag-value", Values: ["*a*a*a*a*a*a*a"] }], fields), true);
  });

  it("know only an operation's own filter names, never inherited ones", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      assert.equal(
        err(() => checkFilters([{ Name: name, Values: ["x"] }], fields, true)),
        `InvalidParameterValue: The filter '${name}' is invalid`,
      );
      assert.equal(matchesFilters(v, [{ Name: name, Values: ["*"] }], fields), false);
    }
  });
});

describe("rules for the data path", () => {
  it("resolve security-group peers to their members' addresses", () => {
    const web: SecurityGroupRecord = {
      id: "sg-web",
      name: "web",
      description: "",
      vpcId: "vpc-1",
      createdAt: 0,
      tags: [],
      rules: [
        { id: "r1", egress: false, protocol: "tcp", fromPort: 80, toPort: 80, groupId: "sg-lb", tags: [] },
        {
          id: "r2",
          egress: false,
          protocol: "tcp",
          fromPort: 80,
          toPort: 80,
          cidrIpv4: "10.9.0.0/16",
          tags: [],
        },
        { id: "r3", egress: false, protocol: "tcp", fromPort: 22, toPort: 22, groupId: "sg-empty", tags: [] },
        { id: "r4", egress: false, protocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0", tags: [] },
        { id: "r5", egress: true, protocol: "-1", fromPort: -1, toPort: -1, cidrIpv4: "0.0.0.0/0", tags: [] },
      ],
    };
    const policy = interfacePolicy(
      [web],
      [
        { ip: "10.0.0.7", groupIds: ["sg-lb"] },
        { ip: "10.0.0.5", groupIds: ["sg-lb", "sg-web"] },
        { ip: "10.0.0.6", groupIds: ["sg-web"] },
      ],
    );
    assert.deepEqual(policy, {
      ingress: [
        { protocol: "tcp", fromPort: 80, toPort: 80, cidrs: ["10.0.0.5/32", "10.0.0.7/32", "10.9.0.0/16"] },
        { protocol: "tcp", fromPort: 22, toPort: 22, cidrs: [] },
      ],
      egress: [{ protocol: "-1", fromPort: -1, toPort: -1, cidrs: ["0.0.0.0/0"] }],
    });
  });
});
