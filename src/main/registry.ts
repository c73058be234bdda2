/**
 * Wires the container registry: the blob store, the /v2/ route, the ECR and ECR Public services,
 * and the background work (lifecycle enforcement, garbage collection). Called from build().
 */
import { join } from "node:path";
import type { Authorizer } from "../authz/authorizer.js";
import type { Config } from "../config/config.js";
import type { CompiledPolicy } from "../domain/iam/compile.js";
import type { PathRoute } from "../gateway/gateway.js";
import type { IdentityResolver } from "../identity/identity.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import { type Loop, startLoop } from "../lib/loop.js";
import { iamRepositoryAuthorizer } from "../registry/authorizer.js";
import { BlobCache } from "../registry/blob-cache.js";
import type { BlobStore } from "../registry/blob-store.js";
import { FsBlobStore } from "../registry/fs-blob-store.js";
import { collectGarbage, type GcResult } from "../registry/gc.js";
import { PullRecorder } from "../registry/pulls.js";
import { registryRoute } from "../registry/route.js";
import { RwLock } from "../registry/rwlock.js";
import { PULL_TOKEN_TTL_MS, RegistryTokens } from "../registry/tokens.js";
import { Uploads } from "../registry/uploads.js";
import { ecrService } from "../services/ecr/index.js";
import { enforceLifecyclePolicies } from "../services/ecr/lifecycle.js";
import { ecrPublicService } from "../services/ecr-public/index.js";
import type { ServiceDefinition } from "../services/service.js";
import type { Store } from "../state/store.js";
import type { Component } from "./build.js";

/** Lifecycle policies are enforced this often (ECR promises within 24 hours). */
const LIFECYCLE_INTERVAL_MS = 10 * 60 * 1000;
const GC_INTERVAL_MS = 60 * 60 * 1000;
/** A pushed layer that no manifest references is kept this long. */
const GC_GRACE_MS = 60 * 60 * 1000;
/** An upload untouched this long is abandoned. */
const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** Memory for hot blobs (see blob-cache.ts), and the largest blob held there. */
const BLOB_CACHE_BYTES = 256 * 1024 * 1024;
const BLOB_CACHE_ENTRY_BYTES = 64 * 1024 * 1024;

/** Handles tests and the CLI use to run background work now. */
export interface RegistryHandle {
  readonly blobs: BlobStore;
  enforceLifecycle(): Promise<number>;
  collectGarbage(): Promise<GcResult>;
  /** Wait until recorded pulls are written. */
  flushPulls(): Promise<void>;
  /**
   * A login that may only pull from `repositories` of `registry`, for PULL_TOKEN_TTL_MS (a container
   * instance's, for a task without an execution role; see tokens.ts).
   */
  pullLogin(
    accessKeyId: string,
    principalArn: string,
    registry: string,
    repositories: readonly string[],
  ): { username: string; password: string };
}

export function buildRegistry(opts: {
  config: Config;
  store: Store;
  identity: IdentityResolver;
  /** IAM: the registry route authorizes each request as the ECR API authorizes its operation. */
  authorizer: Authorizer;
  /** Compile a repository policy (a resource-based policy), cached by text. */
  compilePolicy: (text: string) => CompiledPolicy;
  clock: Clock;
  log: Logger;
  registryHost: () => string;
  blobs?: BlobStore;
}): { services: ServiceDefinition[]; route: PathRoute; components: Component[]; handle: RegistryHandle } {
  const { config, store, clock } = opts;
  const log = opts.log.child({ component: "registry" });
  const root = join(config.dataDir, "registry");
  const blobs = opts.blobs ?? FsBlobStore.openSync({ root, fsync: config.durability === "FULL" });
  const tokens = RegistryTokens.fromFile(join(root, "token.key"));
  const lock = new RwLock();
  const uploads = new Uploads(store, blobs, lock);
  const authorizer = iamRepositoryAuthorizer({
    authorizer: opts.authorizer,
    compilePolicy: opts.compilePolicy,
  });
  const pulls = new PullRecorder(store, log);
  const cache = new BlobCache(blobs, BLOB_CACHE_BYTES, BLOB_CACHE_ENTRY_BYTES);
  const deps = {
    store,
    blobs,
    uploads,
    tokens,
    compilePolicy: opts.compilePolicy,
    accountId: config.accountId,
    registryHost: opts.registryHost,
  };
  const gc = () =>
    collectGarbage({
      store,
      blobs,
      lock,
      now: clock.now(),
      graceMs: GC_GRACE_MS,
      uploadTtlMs: UPLOAD_TTL_MS,
      onDelete: (digest) => cache.drop(digest),
    });
  const loops: Loop[] = [];
  const components: Component[] = [
    {
      name: "registry",
      async start() {
        loops.push(
          startLoop({
            name: "ecr-lifecycle",
            intervalMs: LIFECYCLE_INTERVAL_MS,
            clock,
            log,
            immediate: false,
            tick: async (now) => {
              const n = await enforceLifecyclePolicies(store, now);
              if (n > 0) log.info("lifecycle policies expired images", { count: n });
            },
          }),
          startLoop({
            name: "registry-gc",
            intervalMs: GC_INTERVAL_MS,
            clock,
            log,
            immediate: false,
            tick: async () => {
              const r = await gc();
              if (r.deletedBlobs + r.unlinked + r.abandonedUploads > 0)
                log.info("registry garbage collected", { ...r });
            },
          }),
        );
      },
      async reset() {
        // The store has been wiped: no blob is linked and no upload recorded any more.
        cache.clear();
        await lock.exclusive(async () => {
          for await (const b of blobs.list()) await blobs.delete(b.digest);
          for await (const u of blobs.listUploads()) await blobs.abortUpload(u.id);
        });
      },
      async stop() {
        for (const l of loops.splice(0)) await l.stop();
        await pulls.flush();
      },
    },
  ];
  return {
    services: [ecrService(deps), ecrPublicService(deps)],
    route: registryRoute({
      store,
      blobs,
      uploads,
      tokens,
      identity: opts.identity,
      authorizer,
      pulls,
      cache,
      clock,
      log,
    }),
    components,
    handle: {
      blobs,
      enforceLifecycle: () => enforceLifecyclePolicies(store, clock.now()),
      collectGarbage: gc,
      flushPulls: () => pulls.flush(),
      pullLogin: (accessKeyId, principalArn, registry, repositories) => ({
        username: "AWS",
        password: tokens.issue({
          accessKeyId,
          principalArn,
          registry,
          expiresAt: clock.now() + PULL_TOKEN_TTL_MS,
          pullOnly: [...repositories],
        }),
      }),
    },
  };
}
