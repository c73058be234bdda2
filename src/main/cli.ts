/**
 * `berth` command line: `up` runs the platform in the foreground, `reset` wipes a running
 * instance's state, `version` prints the version.
 */
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/config.js";
import { KeyringError } from "../crypto/keyring.js";
import { AGENT_USAGE, agentCommand } from "./agent-command.js";
import { build, VERSION } from "./build.js";
import { loadRootCredentials } from "./credentials.js";
import { loadJoinToken } from "./join-token.js";
import { masterKeyCommand } from "./master-key-command.js";
import { resetCommand } from "./reset-command.js";

const USAGE = `usage: berth <command> [options]

commands:
  up       run Berth in the foreground
           --port N (BERTH_PORT, default 4747)   --host ADDR (BERTH_HOST, default 127.0.0.1)
           --data-dir DIR (BERTH_DATA_DIR, default ~/.berth)   --region R (BERTH_REGION, default us-east-1)
           --log-level debug|info|warn|error (BERTH_LOG_LEVEL)   --no-agent (control plane only)
           --agents N (N container instances on this host, in zones a, b, c; default 1)
           --no-fargate (no Berth-managed Fargate capacity on this host)
${AGENT_USAGE}  reset    wipe all state of a running Berth (signed with the root credentials)
           --endpoint URL (default http://127.0.0.1:<port>)   --data-dir DIR   --region R
  master-key status|rotate|rewrap
           the keys that seal secrets at rest; rotate/rewrap only while Berth is stopped
           --data-dir DIR   --keep-old (rotate: keep the old keys in the key file)
  version  print the version
`;

function banner(
  url: string,
  region: string,
  accountId: string,
  creds: { accessKeyId: string; secretAccessKey: string; source: string },
  joinToken: string,
  agent: boolean,
): string {
  const e = `aws --endpoint-url ${url}`;
  return `
Berth ${VERSION} is up: ${url}   (region ${region}, account ${accountId})

Credentials (${creds.source}):
  export AWS_ACCESS_KEY_ID=${creds.accessKeyId}
  export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}
  export AWS_DEFAULT_REGION=${region}

Try:
  ${e} sts get-caller-identity
  ${e} ecs create-cluster --cluster-name demo
  ${e} ecs register-task-definition --family web \\
      --container-definitions '[{"name":"web","image":"busybox","memory":64,"essential":true}]'
  ${e} ecs list-task-definitions

${agent ? "This host is a container instance of cluster default and runs FARGATE tasks. " : ""}Join another host (or another agent on this one):
  bin/berth agent --control-plane ${url} --token ${joinToken} --cluster default --name <name>
`;
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      region: { type: "string" },
      "log-level": { type: "string" },
      "no-agent": { type: "boolean" },
      "no-fargate": { type: "boolean" },
      agents: { type: "string" },
    },
  });
  const config = loadConfig(process.env, values);
  const credentials = await loadRootCredentials(config);
  const joinToken = await loadJoinToken(config.dataDir, process.env.BERTH_JOIN_TOKEN);
  const count = values.agents === undefined ? 1 : Number(values.agents);
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new ConfigError(`--agents must be 1-16, got ${values.agents}`);
  // Several agents on one host: each is its own container instance, in its own zone, publishing
  // ports on its own loopback address so static host ports do not collide.
  const agents =
    count === 1
      ? undefined
      : Array.from({ length: count }, (_, i) => ({
          name: `${hostname()}-${i + 1}`,
          attributes: [
            { name: "ecs.availability-zone", value: `${config.region}${String.fromCharCode(97 + (i % 3))}` },
          ],
          bindIp: `127.0.0.${i + 2}`,
        }));
  const berth = build({
    config,
    credentials,
    joinToken,
    ...(values["no-agent"] ? { agent: false } : agents ? { agents } : { agent: {} }),
    // Fargate tasks run on Berth-managed capacity on this host (an agent that is no container instance).
    ...(values["no-agent"] || values["no-fargate"] ? {} : { fargate: {} }),
  });
  const url = await berth.listen();
  process.stdout.write(
    banner(url, config.region, config.accountId, credentials, joinToken, !values["no-agent"]),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping Berth\n`);
    berth.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "up":
        await up(rest);
        return -1; // keep running
      case "agent":
        await agentCommand(rest);
        return -1; // keep running
      case "reset":
        return await resetCommand(rest);
      case "master-key":
        return await masterKeyCommand(rest);
      case "version":
      case "--version":
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`berth: unknown command '${command}'\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof KeyringError ||
      (err as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      process.stderr.write(`berth: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`berth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
