import { execFileSync } from "node:child_process";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, startBerth } from "./helpers/berth.js";
import { freePort } from "./helpers/lb.js";

const b = await startBerth();
const elb = b.elbv2();
try {
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "web" }))).LoadBalancers![0]!
    .LoadBalancerArn!;
  const port = await freePort();
  const mk = () =>
    elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTP",
        Port: port,
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "204" } }],
      }),
    );
  let l = (await mk()).Listeners![0]!.ListenerArn!;
  for (let i = 0; i < 30; i++) {
    await eventually(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).status === 204,
      { what: `serving ${i}` },
    );
    await elb.send(new DeleteListenerCommand({ ListenerArn: l }));
    if (i % 3 === 1) await new Promise((r) => setTimeout(r, 30 * (i % 5)));
    try {
      l = (await mk()).Listeners![0]!.ListenerArn!;
    } catch (err) {
      console.log(i, String(err));
      console.log(
        execFileSync("ss", ["-tanp"], { encoding: "utf8" })
          .split("\n")
          .filter((x) => x.includes(`:${port}`))
          .join("\n"),
      );
      console.log(execFileSync("pgrep", ["-a", "haproxy"], { encoding: "utf8" }));
      break;
    }
  }
  console.log("done");
} finally {
  await b.close();
}
