/**
 * AWS's server-side constraint messages ("Coral" validation), which SSM, Secrets Manager and KMS
 * answer as ValidationException:
 *
 *   1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have
 *   length less than or equal to 2048
 *
 * Several violations are joined with "; " under "N validation errors detected". A member the model
 * marks sensitive is named without its value ("Value at 'value' failed ..."), as AWS does, so secret
 * material never reaches an error message. The SDK models carry no length/range/pattern facts, so
 * handlers state them with a `Constraints` collector.
 */
import { AwsError, type ErrorDef, Errors } from "../errors/catalog.js";

/** `Tags[0]` + `Key` → `tags.1.member.key`: the path notation of AWS validation messages. */
export function coralPath(path: string, member?: string): string {
  const full = member === undefined ? path : path ? `${path}.${member}` : member;
  return full
    .split(".")
    .map((seg) => {
      const m = /^([^[]+)((?:\[\d+\])*)$/.exec(seg);
      if (!m) return lowerFirst(seg);
      const idx = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => `${Number(x[1]) + 1}.member`);
      return [lowerFirst(m[1]!), ...idx].join(".");
    })
    .join(".");
}

const lowerFirst = (s: string) => (s ? s[0]!.toLowerCase() + s.slice(1) : s);

/** The wording AWS JSON services use for a missing required member. */
export const coralMissing = (member: string, path: string) =>
  `1 validation error detected: Value null at '${coralPath(path, member)}' failed to satisfy constraint: Member must not be null`;

function render(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `'[${value.map((v) => String(v)).join(", ")}]'`;
  return `'${String(value)}'`;
}

export class Constraints {
  private readonly found: string[] = [];

  /** Record a violation. `value` undefined (or `sensitive`) leaves the value out of the message. */
  add(path: string, value: unknown, constraint: string, sensitive = false): this {
    const shown = sensitive || value === undefined ? "Value" : `Value ${render(value)}`;
    this.found.push(`${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
    return this;
  }

  length(
    path: string,
    value: string | readonly unknown[] | Uint8Array | undefined,
    min: number,
    max: number,
    sensitive = false,
  ) {
    if (value === undefined) return this;
    const n = typeof value === "string" ? [...value].length : value.length;
    if (n > max) this.add(path, value, `Member must have length less than or equal to ${max}`, sensitive);
    if (n < min) this.add(path, value, `Member must have length greater than or equal to ${min}`, sensitive);
    return this;
  }

  range(path: string, value: number | undefined, min: number | undefined, max: number | undefined) {
    if (value === undefined) return this;
    if (max !== undefined && value > max)
      this.add(path, value, `Member must have value less than or equal to ${max}`);
    if (min !== undefined && value < min)
      this.add(path, value, `Member must have value greater than or equal to ${min}`);
    return this;
  }

  pattern(path: string, value: string | undefined, re: RegExp, shown: string) {
    if (value !== undefined && !re.test(value))
      this.add(path, value, `Member must satisfy regular expression pattern: ${shown}`);
    return this;
  }

  oneOf(path: string, value: string | undefined, allowed: readonly string[]) {
    if (value !== undefined && !allowed.includes(value))
      this.add(path, value, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
    return this;
  }

  get count(): number {
    return this.found.length;
  }

  /** Throw the collected violations as one error (ValidationException unless told otherwise). */
  throwIfAny(def: ErrorDef = Errors.Validation): void {
    const n = this.found.length;
    if (n === 0) return;
    throw new AwsError(def, `${n} validation error${n > 1 ? "s" : ""} detected: ${this.found.join("; ")}`);
  }
}
