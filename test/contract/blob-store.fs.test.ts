import { rm } from "node:fs/promises";
import { FsBlobStore } from "../../src/registry/fs-blob-store.js";
import { tempDir } from "../helpers/berth.js";
import { blobStoreContract } from "./blob-store.case.js";

for (const fsync of [false, true]) {
  blobStoreContract(`filesystem (fsync ${fsync})`, async () => {
    const dir = await tempDir();
    const store = await FsBlobStore.open({ root: dir, fsync });
    return {
      store,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
}
