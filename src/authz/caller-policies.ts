/**
 * The compiled policies that apply to a caller: an IAM user's attached managed and inline
 * policies, or a role session's role policies plus its session policies. Read from the store in
 * one transaction and cached until IAM state changes (IamGeneration), so a request usually pays
 * for one map lookup. Compiled documents are shared by text: a managed policy attached to many
 * principals is compiled once.
 */
import { awsManagedPolicy } from "../domain/iam/aws-managed.js";
import { type CompiledPolicy, type CompiledStatement, compilePolicy } from "../domain/iam/compile.js";
import { parsePolicyArn } from "../domain/iam/names.js";
import type { PolicyKind } from "../domain/iam/policy-document.js";
import type { Principal } from "../identity/principal.js";
import { getPolicy } from "../state/iam/policies.js";
import type { IamTag } from "../state/iam/records.js";
import { getRole, getUser } from "../state/iam/users.js";
import type { IamGeneration } from "../state/iam/watch.js";
import type { ReadTx, Store } from "../state/store.js";

export interface CallerPolicies {
  readonly identity: readonly CompiledPolicy[];
  /** Session policies; undefined when the session has none. */
  readonly session?: readonly CompiledPolicy[];
  /** The user's or role's tags, keyed `aws:principaltag/<lower-cased key>`. */
  readonly principalTags: ReadonlyMap<string, readonly string[]>;
  /**
   * Statements with conditions on aws:ResourceTag/…: a resource's tags are fetched only when one of
   * them covers the action being authorized.
   */
  readonly tagReaders: readonly CompiledStatement[];
}

const NONE: CallerPolicies = { identity: [], principalTags: new Map(), tagReaders: [] };

export interface CallerPolicyCache {
  forPrincipal(p: Principal): Promise<CallerPolicies>;
  /** Compile a policy document, sharing the result with every other use of the same text. */
  compile(document: string, kind: PolicyKind): CompiledPolicy;
}

export function callerPolicyCache(opts: { store: Store; generation: IamGeneration }): CallerPolicyCache {
  const compiled = new Map<string, CompiledPolicy>();
  const callers = new Map<string, { generation: number; policies: CallerPolicies }>();

  function compile(document: string, kind: PolicyKind): CompiledPolicy {
    const key = `${kind}\u0000${document}`;
    let c = compiled.get(key);
    if (!c) {
      if (compiled.size >= 10_000) compiled.clear();
      c = compilePolicy(document, kind);
      compiled.set(key, c);
    }
    return c;
  }

  /** The default version of a managed policy (AWS or customer managed). */
  async function managedDocument(tx: ReadTx, arn: string): Promise<string | undefined> {
    const aws = awsManagedPolicy(arn);
    if (aws) return aws.document;
    const parsed = parsePolicyArn(arn);
    if (!parsed) return undefined;
    const rec = await getPolicy(tx, parsed.name);
    if (!rec || rec.value.arn !== arn) return undefined;
    return rec.value.versions.find((v) => v.versionId === rec.value.defaultVersionId)?.document;
  }

  async function documents(tx: ReadTx, attached: readonly string[], inline: Record<string, string>) {
    const docs: string[] = [];
    for (const arn of attached) {
      const d = await managedDocument(tx, arn);
      if (d !== undefined) docs.push(d);
    }
    docs.push(...Object.values(inline));
    return docs;
  }

  async function load(p: Principal): Promise<CallerPolicies> {
    return opts.store.read(async (tx) => {
      let identityDocs: string[];
      let tags: IamTag[];
      let sessionDocs: string[] | undefined;
      if (p.kind === "user" && p.userName) {
        const user = await getUser(tx, p.userName);
        if (!user || user.value.arn !== p.arn) return NONE;
        identityDocs = await documents(tx, user.value.attached, user.value.inline);
        tags = user.value.tags;
      } else if (p.kind === "assumed-role" && p.role) {
        const role = await getRole(tx, p.role.name);
        if (!role || role.value.id !== p.role.id) return NONE;
        identityDocs = await documents(tx, role.value.attached, role.value.inline);
        tags = role.value.tags;
        const s = p.session;
        if (s && (s.policy !== undefined || (s.policyArns?.length ?? 0) > 0)) {
          sessionDocs = await documents(
            tx,
            s.policyArns ?? [],
            s.policy !== undefined ? { session: s.policy } : {},
          );
        }
      } else {
        return NONE;
      }
      const identity = identityDocs.map((d) => compile(d, "identity"));
      const session = sessionDocs?.map((d) => compile(d, "identity"));
      const tagReaders = [...identity, ...(session ?? [])].flatMap((c) =>
        c.statements.filter((s) => s.readsResourceTags),
      );
      const principalTags = new Map(
        tags.map((t) => [`aws:principaltag/${t.Key.toLowerCase()}`, [t.Value]] as const),
      );
      return { identity, ...(session ? { session } : {}), principalTags, tagReaders };
    });
  }

  return {
    compile,
    async forPrincipal(p) {
      // Sessions differ by their session policies, so each session (access key) is its own entry.
      const key = p.kind === "assumed-role" ? `s\u0000${p.accessKeyId}` : `u\u0000${p.arn}`;
      const generation = opts.generation.current();
      const hit = callers.get(key);
      if (hit && hit.generation === generation) return hit.policies;
      const policies = await load(p);
      if (callers.size >= 10_000) callers.clear();
      callers.set(key, { generation, policies });
      return policies;
    },
  };
}
