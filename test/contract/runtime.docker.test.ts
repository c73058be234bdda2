import { DockerRuntime } from "../../src/agent/runtime/docker-runtime.js";
import { runtimeContract } from "./runtime.case.js";

runtimeContract("Docker engine", async () => ({
  runtime: new DockerRuntime(),
  fixtures: {
    image: "berth-test/busybox:latest",
    runForever: ["sleep", "3600"],
    printThenExit3: ["sh", "-c", "echo hello; echo world; exit 3"],
    ignoreTerm: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"],
    missingImage: "127.0.0.1:1/berth-test/does-not-exist:latest",
  },
  cleanup: async () => {},
}));
