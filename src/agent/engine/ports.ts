/**
 * Port mappings on the engine and the network bindings ECS reports for them. Pure.
 *
 * - bridge: each containerPort is published on its hostPort, or on a port the engine picks when
 *   hostPort is 0. A containerPortRange is published on a contiguous host port range the agent
 *   found beforehand (as the ECS agent does), and reported as one binding with containerPortRange
 *   and hostPortRange.
 * - host: nothing is published (the container uses the host's interfaces); each mapping is reported
 *   with hostPort = containerPort.
 * - none: no ports (registration refuses port mappings).
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { NetworkBindingReport } from "../../agentapi/protocol.js";
import type { ContainerState, PortBinding } from "../runtime/runtime.js";

type Protocol = "tcp" | "udp";

const protocolOf = (p: { protocol?: string | undefined }): Protocol => (p.protocol === "udp" ? "udp" : "tcp");

/** "9000-9009" → [9000, 9009]. */
export function parseRange(range: string): [number, number] {
  const [lo, hi] = range.split("-").map(Number) as [number, number];
  return [lo, hi];
}

/** The containerPortRange mappings of a container that need a host port range, by mapping index. */
export function rangesToAllocate(
  def: ContainerDefinition,
  mode: string,
): { index: number; count: number; protocol: Protocol }[] {
  if (mode !== "bridge") return [];
  return (def.portMappings ?? []).flatMap((p, index) => {
    if (!p.containerPortRange) return [];
    const [lo, hi] = parseRange(p.containerPortRange);
    return [{ index, count: hi - lo + 1, protocol: protocolOf(p) }];
  });
}

/**
 * What to publish on the engine. `hostRanges` holds the first host port of each containerPortRange
 * mapping (by index); a range without one gets ports the engine picks.
 */
export function publishedPorts(
  def: ContainerDefinition,
  mode: string,
  bindIp: string,
  hostRanges: ReadonlyMap<number, number> = new Map(),
): PortBinding[] {
  if (mode !== "bridge") return [];
  const out: PortBinding[] = [];
  for (const [i, p] of (def.portMappings ?? []).entries()) {
    const protocol = protocolOf(p);
    if (p.containerPortRange) {
      const [lo, hi] = parseRange(p.containerPortRange);
      const first = hostRanges.get(i);
      for (let port = lo; port <= hi; port++)
        out.push({ containerPort: port, hostPort: first ? first + port - lo : 0, protocol, hostIp: bindIp });
    } else {
      out.push({ containerPort: p.containerPort!, hostPort: p.hostPort ?? 0, protocol, hostIp: bindIp });
    }
  }
  return out;
}

/** The network bindings ECS reports for a running container. */
export function networkBindings(
  def: ContainerDefinition,
  mode: string,
  published: ContainerState["ports"],
): NetworkBindingReport[] {
  if (mode === "host") {
    return (def.portMappings ?? []).flatMap((p) =>
      p.containerPort === undefined
        ? []
        : [
            {
              bindIP: "0.0.0.0",
              containerPort: p.containerPort,
              hostPort: p.containerPort,
              protocol: protocolOf(p),
            },
          ],
    );
  }
  const ranges = (def.portMappings ?? []).flatMap((p) =>
    p.containerPortRange
      ? [{ range: p.containerPortRange, bounds: parseRange(p.containerPortRange), protocol: protocolOf(p) }]
      : [],
  );
  const out: NetworkBindingReport[] = [];
  const grouped = new Map<
    string,
    {
      range: string;
      bounds: [number, number];
      bindIP: string;
      protocol: Protocol;
      hostPorts: Map<number, number>;
    }
  >();
  for (const p of published) {
    const bindIP = p.hostIp || "0.0.0.0";
    const r = ranges.find(
      (x) => x.protocol === p.protocol && p.containerPort >= x.bounds[0] && p.containerPort <= x.bounds[1],
    );
    if (!r) {
      out.push({ bindIP, containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol });
      continue;
    }
    const key = `${r.range}/${r.protocol}/${bindIP}`;
    const g = grouped.get(key) ?? { ...r, bindIP, hostPorts: new Map<number, number>() };
    g.hostPorts.set(p.containerPort, p.hostPort);
    grouped.set(key, g);
  }
  for (const g of grouped.values()) {
    const [lo, hi] = g.bounds;
    const first = g.hostPorts.get(lo) ?? 0;
    let contiguous = first > 0;
    for (let port = lo; port <= hi && contiguous; port++)
      contiguous = g.hostPorts.get(port) === first + port - lo;
    if (contiguous) {
      out.push({
        bindIP: g.bindIP,
        protocol: g.protocol,
        containerPortRange: g.range,
        hostPortRange: `${first}-${first + hi - lo}`,
      });
    } else {
      // Host ports the engine picked one by one (a container created before ranges were allocated).
      for (const [containerPort, hostPort] of g.hostPorts)
        out.push({ bindIP: g.bindIP, containerPort, hostPort, protocol: g.protocol });
    }
  }
  return out;
}
