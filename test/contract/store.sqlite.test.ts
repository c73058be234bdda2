import { rm } from "node:fs/promises";
import { join } from "node:path";
import { SqliteStore } from "../../src/state/sqlite/sqlite-store.js";
import { tempDir } from "../helpers/berth.js";
import { storeContract } from "./store.case.js";

storeContract("SQLite file", async () => {
  const dir = await tempDir();
  const store = new SqliteStore({ path: join(dir, "state.db") });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

storeContract("SQLite in memory", async () => {
  const store = new SqliteStore({ path: ":memory:" });
  return { store, cleanup: () => store.close() };
});
