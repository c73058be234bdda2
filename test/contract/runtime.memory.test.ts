import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import { runtimeContract } from "./runtime.case.js";

runtimeContract("in-memory", async () => {
  const runtime = new MemoryRuntime();
  runtime.addLocalImage("fake/image:1");
  return {
    runtime,
    fixtures: {
      image: "fake/image:1",
      runForever: ["fake:run"],
      printThenExit3: ["fake:print", "hello", "world", "exit:3"],
      ignoreTerm: ["fake:ignore-term"],
      missingImage: "fake/missing:1",
    },
    cleanup: async () => {},
  };
});
