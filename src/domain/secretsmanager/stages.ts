/**
 * Secrets Manager staging labels (pure). A label is on at most one version of a secret. The three
 * AWS labels move as Secrets Manager moves them:
 *
 * - Putting a label on a version takes it off whichever version had it.
 * - When AWSCURRENT moves to another version, the version it left gets AWSPREVIOUS (and AWSPREVIOUS
 *   leaves the version that had it).
 * - A version with no labels is deprecated: it is listed only on request and the oldest are dropped
 *   once more than 100 pile up.
 */
export const AWSCURRENT = "AWSCURRENT";
export const AWSPREVIOUS = "AWSPREVIOUS";
export const AWSPENDING = "AWSPENDING";

/** Deprecated versions kept per secret. */
export const MAX_DEPRECATED = 100;

export interface VersionStages {
  readonly id: string;
  readonly stages: readonly string[];
  readonly created: number;
}

/** The version holding a label. */
export const holderOf = <V extends VersionStages>(versions: readonly V[], stage: string): V | undefined =>
  versions.find((v) => v.stages.includes(stage));

/**
 * Attach `stages` to version `target` (adding the version if it is new), taking each label off any
 * other version, with AWSCURRENT's move leaving AWSPREVIOUS behind.
 */
export function attachStages<V extends VersionStages>(
  versions: readonly V[],
  target: V,
  stages: readonly string[],
): V[] {
  const labels = [...new Set(stages)];
  const oldCurrent = holderOf(versions, AWSCURRENT);
  const movesCurrent = labels.includes(AWSCURRENT) && oldCurrent !== undefined && oldCurrent.id !== target.id;
  const out: V[] = [];
  let seenTarget = false;
  for (const v of versions) {
    if (v.id === target.id) {
      seenTarget = true;
      const kept = movesCurrent ? v.stages.filter((s) => s !== AWSPREVIOUS) : v.stages;
      out.push({ ...v, stages: union(kept, labels) });
      continue;
    }
    let stagesOf = v.stages.filter((s) => !labels.includes(s));
    if (movesCurrent) {
      stagesOf = stagesOf.filter((s) => s !== AWSPREVIOUS);
      if (v.id === oldCurrent!.id) stagesOf = union(stagesOf, [AWSPREVIOUS]);
    }
    out.push({ ...v, stages: stagesOf });
  }
  if (!seenTarget) out.push({ ...target, stages: union([], labels) });
  return out;
}

/** Take a label off a version (UpdateSecretVersionStage with only RemoveFromVersionId). */
export function detachStage<V extends VersionStages>(
  versions: readonly V[],
  from: string,
  stage: string,
): V[] {
  return versions.map((v) => (v.id === from ? { ...v, stages: v.stages.filter((s) => s !== stage) } : v));
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const s of b) if (!out.includes(s)) out.push(s);
  return out;
}

/**
 * Deprecated versions beyond the limit, oldest first: the ones to drop. Versions with labels are
 * never dropped.
 */
export function overflow<V extends VersionStages>(versions: readonly V[], max = MAX_DEPRECATED): V[] {
  const deprecated = versions.filter((v) => v.stages.length === 0).sort((a, b) => a.created - b.created);
  return deprecated.slice(0, Math.max(0, deprecated.length - max));
}
