/**
 * CloudWatch Logs input constraints that the SDK model does not carry (lengths, patterns, ranges)
 * and the way the service reports them: an InvalidParameterException whose message lists every
 * violation, "1 validation error detected: Value at 'logGroupName' failed to satisfy constraint:
 * Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+". CloudWatch Logs no longer
 * echoes the offending value in these messages.
 */
import { AwsError, Errors } from "../../errors/catalog.js";

export const GROUP_NAME_PATTERN = "[\\.\\-_/#A-Za-z0-9]+";
export const STREAM_NAME_PATTERN = "[^:*]*";
export const IDENTIFIER_PATTERN = "[\\w#+=/:,.@-]*";
export const ARN_PATTERN = "[\\w+=/:,.@-]*";

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;
const IDENTIFIER = /^[\w#+=/:,.@-]*$/;
const RESOURCE_ARN = /^[\w+=/:,.@-]*$/;

/** Collects constraint violations of one request, then throws them together. */
export class Violations {
  private readonly list: string[] = [];

  add(path: string, constraint: string): this {
    this.list.push(`Value at '${path}' failed to satisfy constraint: ${constraint}`);
    return this;
  }

  length(path: string, value: string | readonly unknown[] | undefined, min: number, max?: number): this {
    if (value === undefined) return this;
    // Lengths of strings count characters, as the service's Java validators do.
    const n = typeof value === "string" ? [...value].length : value.length;
    if (n < min) this.add(path, `Member must have length greater than or equal to ${min}`);
    if (max !== undefined && n > max) this.add(path, `Member must have length less than or equal to ${max}`);
    return this;
  }

  range(path: string, value: number | undefined, min: number, max?: number): this {
    if (value === undefined) return this;
    if (value < min) this.add(path, `Member must have value greater than or equal to ${min}`);
    if (max !== undefined && value > max)
      this.add(path, `Member must have value less than or equal to ${max}`);
    return this;
  }

  pattern(path: string, value: string | undefined, re: RegExp, text: string): this {
    if (value !== undefined && !re.test(value))
      this.add(path, `Member must satisfy regular expression pattern: ${text}`);
    return this;
  }

  oneOf(path: string, value: string | undefined, allowed: readonly string[]): this {
    if (value !== undefined && !allowed.includes(value))
      this.add(path, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
    return this;
  }

  groupName(path: string, value: string | undefined): this {
    return this.length(path, value, 1, 512).pattern(path, value, GROUP_NAME, GROUP_NAME_PATTERN);
  }

  streamName(path: string, value: string | undefined): this {
    return this.length(path, value, 1, 512).pattern(path, value, STREAM_NAME, STREAM_NAME_PATTERN);
  }

  identifier(path: string, value: string | undefined): this {
    return this.length(path, value, 1, 2048).pattern(path, value, IDENTIFIER, IDENTIFIER_PATTERN);
  }

  resourceArn(path: string, value: string | undefined): this {
    return this.length(path, value, 1, 1011).pattern(path, value, RESOURCE_ARN, ARN_PATTERN);
  }

  nextToken(path: string, value: string | undefined): this {
    return this.length(path, value, 1);
  }

  throwIfAny(): void {
    const n = this.list.length;
    if (n === 0) return;
    throw new AwsError(
      Errors.InvalidParameter,
      `${n} validation error${n === 1 ? "" : "s"} detected: ${this.list.join("; ")}`,
    );
  }
}

export const violations = () => new Violations();

/** The allowed retentionInDays values (PutRetentionPolicy). */
export const RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const DAY_MS = 86_400_000;

/** Tag keys and values (TagResource, TagLogGroup, CreateLogGroup). */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAGS = 50;

export function validateTagMap(v: Violations, path: string, tags: Record<string, string> | undefined): void {
  if (tags === undefined) return;
  const keys = Object.keys(tags);
  v.length(path, keys, 1, MAX_TAGS);
  for (const k of keys) {
    v.length(`${path}.key`, k, 1, 128).pattern(
      `${path}.key`,
      k,
      TAG_KEY,
      "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$",
    );
    const value = tags[k]!;
    v.length(`${path}.${k}.member`, value, 0, 256).pattern(
      `${path}.${k}.member`,
      value,
      TAG_VALUE,
      "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    );
  }
}

export function validateTagKeys(v: Violations, path: string, keys: readonly string[] | undefined): void {
  if (keys === undefined) return;
  v.length(path, keys, 0, MAX_TAGS);
  keys.forEach((k, i) => {
    v.length(`${path}.${i + 1}.member`, k, 1, 128).pattern(
      `${path}.${i + 1}.member`,
      k,
      TAG_KEY,
      "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$",
    );
  });
}
