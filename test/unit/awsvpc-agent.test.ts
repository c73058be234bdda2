/**
 * The agent's pure awsvpc pieces: security groups as iptables-restore input for a VPC router, and the
 * DNS server's answers (EC2 names from the name itself; anything else upstream).
 */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { addressOfName, DnsServer, hostResolvers } from "../../src/agent/endpoints/dns.js";
import {
  attachRules,
  detachRules,
  egressChain,
  ingressChain,
  linkName,
  routerRules,
  updateRules,
} from "../../src/agent/network/sg-rules.js";
import type { TaskNetworkSpec } from "../../src/agentapi/protocol.js";

const spec: TaskNetworkSpec = {
  eniId: "eni-0123456789abcdef0",
  attachmentId: "a1",
  macAddress: "0e:00:00:00:00:01",
  privateIp: "10.0.1.4",
  subnetId: "subnet-1",
  subnetCidr: "10.0.1.0/24",
  gateway: "10.0.1.1",
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: "10.0.0.0/16",
  dnsServer: "10.0.0.2",
  dnsSearch: "ec2.internal",
  privateDnsName: "ip-10-0-1-4.ec2.internal",
  publicIp: "198.18.3.4",
  ingress: [
    { protocol: "tcp", fromPort: 8080, toPort: 8081, cidrs: ["10.0.1.9/32", "10.0.2.0/24"] },
    { protocol: "icmp", fromPort: 8, toPort: -1, cidrs: ["0.0.0.0/0"] },
    { protocol: "udp", fromPort: 53, toPort: 53, cidrs: [] },
  ],
  egress: [{ protocol: "-1", fromPort: -1, toPort: -1, cidrs: ["0.0.0.0/0"] }],
};

describe("security groups as router rules", () => {
  it("name a task's link and chains after its interface (within the kernel's limits)", () => {
    assert.equal(linkName(spec.eniId), "e3456789abcdef0");
    assert.ok(linkName(spec.eniId).length <= 15);
    assert.equal(ingressChain(spec.eniId), "I-3456789abcdef0");
    assert.equal(egressChain(spec.eniId), "O-3456789abcdef0");
  });

  it("fill a task's chains: egress RETURNs when allowed, ingress ACCEPTs, both DROP the rest", () => {
    const lines = updateRules(spec).split("\n");
    assert.deepEqual(lines, [
      "*filter",
      ":O-3456789abcdef0 - [0:0]",
      ":I-3456789abcdef0 - [0:0]",
      "-A O-3456789abcdef0 -d 0.0.0.0/0 -j RETURN",
      "-A O-3456789abcdef0 -j DROP",
      "-A I-3456789abcdef0 -s 10.0.1.9/32 -p tcp -m tcp --dport 8080:8081 -j ACCEPT",
      "-A I-3456789abcdef0 -s 10.0.2.0/24 -p tcp -m tcp --dport 8080:8081 -j ACCEPT",
      "-A I-3456789abcdef0 -s 0.0.0.0/0 -p icmp -m icmp --icmp-type 8 -j ACCEPT",
      "-A I-3456789abcdef0 -j DROP",
      "COMMIT",
      "",
    ]);
  });

  it("on attach, also route metadata and DNS to the agent, the public address to the task, and jump to the chains", () => {
    const text = attachRules(spec, { address: "169.254.171.1", metadataPort: 41000, dnsPort: 42000 });
    assert.match(
      text,
      /-A N-3456789abcdef0 -i e3456789abcdef0 -d 169\.254\.170\.2\/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 169\.254\.171\.1:41000/,
    );
    assert.match(
      text,
      /-d 10\.0\.0\.2\/32 -p udp -m udp --dport 53 -j DNAT --to-destination 169\.254\.171\.1:42000/,
    );
    assert.match(text, /-d 169\.254\.169\.253\/32 -p tcp -m tcp --dport 53 -j DNAT/);
    assert.match(
      text,
      /-A N-3456789abcdef0 -i up0 -d 198\.18\.3\.4\/32 -j DNAT --to-destination 10\.0\.1\.4/,
    );
    assert.match(text, /-A BERTH-EGRESS -i e3456789abcdef0 -j O-3456789abcdef0/);
    assert.match(text, /-A BERTH-INGRESS -o e3456789abcdef0 -j I-3456789abcdef0/);
    assert.match(detachRules(spec.eniId), /-D BERTH-INGRESS -o e3456789abcdef0 -j I-3456789abcdef0\n-F O-/);
  });

  it("order the router's FORWARD chain: replies, DNAT'ed traffic to the uplink, egress, ingress; drop the rest", () => {
    const forward = routerRules()
      .split("\n")
      .filter((l) => l.startsWith("-A FORWARD") || l.startsWith(":FORWARD"));
    assert.deepEqual(forward, [
      ":FORWARD DROP [0:0]",
      "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A FORWARD -o up0 -m conntrack --ctstate DNAT -j ACCEPT",
      "-A FORWARD -j BERTH-EGRESS",
      "-A FORWARD -j BERTH-INGRESS",
    ]);
  });

  it("give protocol 0 (HOPOPT) no line, as iptables would read `-p 0` as every protocol", () => {
    const lines = updateRules({
      ...spec,
      ingress: [
        { protocol: "0", fromPort: -1, toPort: -1, cidrs: ["10.0.1.9/32"] },
        { protocol: "47", fromPort: -1, toPort: -1, cidrs: ["10.0.1.9/32"] },
      ],
      egress: [{ protocol: "0", fromPort: -1, toPort: -1, cidrs: ["0.0.0.0/0"] }],
    }).split("\n");
    assert.deepEqual(lines, [
      "*filter",
      ":O-3456789abcdef0 - [0:0]",
      ":I-3456789abcdef0 - [0:0]",
      "-A O-3456789abcdef0 -j DROP",
      "-A I-3456789abcdef0 -s 10.0.1.9/32 -p 47 -j ACCEPT",
      "-A I-3456789abcdef0 -j DROP",
      "COMMIT",
      "",
    ]);
    const attach = attachRules(
      { ...spec, ingress: [{ protocol: "0", fromPort: -1, toPort: -1, cidrs: ["10.0.1.9/32"] }] },
      { address: "169.254.171.1", metadataPort: 41000, dnsPort: 42000 },
    );
    assert.doesNotMatch(attach, /-p 0\b/);
    assert.doesNotMatch(attach, /-A I-3456789abcdef0 -s 10\.0\.1\.9\/32/);
    // Names iptables would widen to every protocol are refused, not passed on.
    for (const protocol of ["all", "ip", "hopopt"])
      assert.throws(() =>
        updateRules({ ...spec, ingress: [{ protocol, fromPort: -1, toPort: -1, cidrs: ["10.0.1.9/32"] }] }),
      );
  });

  it("refuse values that could shape the command", () => {
    assert.throws(() =>
      updateRules({
        ...spec,
        ingress: [{ protocol: "tcp", fromPort: 1, toPort: 2, cidrs: ["1.2.3.4/32 -j ACCEPT"] }],
      }),
    );
  });
});

describe("the awsvpc DNS server", () => {
  let dns: DnsServer;
  let upstream: ReturnType<typeof createSocket>;

  before(async () => {
    // An upstream resolver that answers every question with NXDOMAIN.
    upstream = createSocket("udp4");
    upstream.on("message", (msg, from) => {
      const reply = Buffer.from(msg);
      reply.writeUInt16BE(0x8183, 2);
      upstream.send(reply, from.port, from.address);
    });
    await new Promise<void>((r) => upstream.bind(0, "127.0.0.1", () => r()));
    dns = new DnsServer([`127.0.0.1:${upstream.address().port}`]);
    await dns.listen("127.0.0.1");
  });
  after(async () => {
    await dns.close();
    upstream.close();
  });

  function query(name: string, type = 1): Buffer {
    const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    return Buffer.concat([header, ...labels, Buffer.from([0, 0, type, 0, 1])]);
  }

  it("reads EC2's private and public names", () => {
    assert.equal(addressOfName("ip-10-0-1-5.ec2.internal"), "10.0.1.5");
    assert.equal(addressOfName("IP-10-0-1-5.eu-west-1.compute.internal."), "10.0.1.5");
    assert.equal(addressOfName("ec2-198-18-0-5.compute-1.amazonaws.com"), "198.18.0.5");
    assert.equal(addressOfName("ip-10-0-1-500.ec2.internal"), undefined);
    assert.equal(addressOfName("example.com"), undefined);
    assert.deepEqual(hostResolvers("nameserver 10.0.0.2\n# nameserver 1.1.1.1\nnameserver ::1\n"), [
      "10.0.0.2",
    ]);
  });

  it("answers A questions for EC2 names itself, with the question's id", async () => {
    const reply = await dns.resolve(query("ip-172-31-0-9.ec2.internal"));
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.equal(reply.readUInt16BE(6), 1, "one answer");
    assert.deepEqual([...reply.subarray(reply.length - 4)], [172, 31, 0, 9]);
    const aaaa = await dns.resolve(query("ip-172-31-0-9.ec2.internal", 28));
    assert.equal(aaaa.readUInt16BE(6), 0, "no IPv6 answer");
  });

  it("relays other questions to the host's resolvers, over UDP and TCP", async () => {
    const reply = await dns.resolve(query("example.com"));
    assert.equal(reply.readUInt16BE(2) & 0xf, 3, "the upstream's NXDOMAIN");
    const sock = createSocket("udp4");
    const viaUdp = await new Promise<Buffer>((resolve) => {
      sock.on("message", (m) => resolve(m));
      sock.send(query("ip-10-1-2-3.ec2.internal"), dns.port, "127.0.0.1");
    });
    sock.close();
    assert.deepEqual([...viaUdp.subarray(viaUdp.length - 4)], [10, 1, 2, 3]);
    const viaTcp = await new Promise<Buffer>((resolve) => {
      const q = query("ip-10-4-5-6.ec2.internal");
      const len = Buffer.alloc(2);
      len.writeUInt16BE(q.length);
      const conn = connect(dns.port, "127.0.0.1", () => conn.write(Buffer.concat([len, q])));
      let buf = Buffer.alloc(0);
      conn.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          conn.destroy();
          resolve(buf.subarray(2));
        }
      });
    });
    assert.deepEqual([...viaTcp.subarray(viaTcp.length - 4)], [10, 4, 5, 6]);
  });
});
