/**
 * Model-driven decoding of JSON-protocol input and encoding of output.
 *
 * Decoding checks the body against the operation's input shape: JSON types (a mismatch is a
 * SerializationException, as AWS answers; a number with a fraction, or beyond a long, where the model
 * has an integer or long is one too), required members and unknown members (the service's own
 * validation error). A map keeps every key as data, `__proto__` too. Timestamps become `Date`, blobs become `Buffer`. A `null` member counts as
 * absent, as AWS JSON services treat it.
 *
 * Encoding walks the output shape and emits only modelled members; `Date` (or epoch milliseconds)
 * becomes epoch seconds, buffers become base64. In strict mode (tests) a member the model does not
 * know is an error, which keeps handlers honest about names.
 */
import { AwsError, type ErrorDef, Errors } from "../errors/catalog.js";
import { setEntry } from "../lib/own-entry.js";
import { FLOAT_MEMBERS } from "./float-members.js";
import type { Shape, StructShape } from "./model.js";
import { parseTimestamp } from "./timestamp.js";

export interface DecodeOptions {
  /** The error a service uses for missing or unknown members. */
  validationError: ErrorDef;
  /** The service's wording for a missing required member (default: botocore's). */
  missingMessage?: (member: string, path: string) => string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const typeName = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "object" : typeof v;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeJsonInput(
  shape: StructShape,
  body: unknown,
  opts: DecodeOptions,
): Record<string, unknown> {
  if (body === undefined || body === null) body = {};
  if (!isPlainObject(body)) {
    throw new AwsError(
      Errors.Serialization,
      `Expected a JSON object for ${shape.name}, got ${typeName(body)}`,
    );
  }
  return decodeStruct(shape, body, "", opts);
}

function decodeStruct(
  shape: StructShape,
  value: Record<string, unknown>,
  path: string,
  opts: DecodeOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const member = shape.members.get(key);
    if (!member) {
      const known = [...shape.members.keys()].join(", ");
      throw new AwsError(
        opts.validationError,
        `Unknown parameter in ${path || "input"}: "${key}", must be one of: ${known}`,
      );
    }
    if (raw === null || raw === undefined) continue;
    const fractional = FLOAT_MEMBERS.has(`${shape.name}.${key}`);
    out[key] = decodeValue(member.shape, raw, join(path, key), opts, fractional);
  }
  for (const req of shape.required) {
    if (out[req] === undefined) {
      throw new AwsError(
        opts.validationError,
        opts.missingMessage?.(req, path) ?? `Missing required parameter in ${path || "input"}: "${req}"`,
      );
    }
  }
  if (shape.kind === "union" && Object.keys(out).length !== 1) {
    throw new AwsError(opts.validationError, `${path || shape.name} must set exactly one member`);
  }
  return out;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function mismatch(path: string, expected: string, got: unknown, sensitive = false): AwsError {
  // A member the model marks sensitive (secret values, plaintext) is never echoed back.
  const shown = sensitive ? "*** Sensitive Data Redacted ***" : preview(got);
  return new AwsError(
    Errors.Serialization,
    `Invalid type for parameter ${path}, value: ${shown}, type: ${typeName(got)}, valid types: ${expected}`,
  );
}

function preview(v: unknown): string {
  const s = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Integers and longs: a JSON number without a fraction, within a signed 64-bit range. */
const LONG_BOUND = 2 ** 63;

/** `fractional`: the member is a float or double (src/protocol/float-members.ts). */
function decodeValue(
  shape: Shape,
  value: unknown,
  path: string,
  opts: DecodeOptions,
  fractional = false,
): unknown {
  const secret = shape.traits.sensitive === true;
  switch (shape.kind) {
    case "string":
      if (typeof value !== "string") throw mismatch(path, "<class 'str'>", value, secret);
      return value;
    case "number":
    case "bigint":
      if (typeof value !== "number" || !Number.isFinite(value))
        throw mismatch(path, fractional ? "<class 'float'>" : "<class 'int'>", value);
      if (!fractional && (!Number.isInteger(value) || Math.abs(value) >= LONG_BOUND))
        throw mismatch(path, "<class 'int'>", value);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw mismatch(path, "<class 'bool'>", value);
      return value;
    case "timestamp": {
      let d: Date | undefined;
      if (typeof value === "number" && Number.isFinite(value)) d = new Date(value * 1000);
      else if (typeof value === "string") d = parseTimestamp(value);
      if (!d || Number.isNaN(d.getTime()))
        throw mismatch(path, "<class 'datetime.datetime'>, timestamp", value);
      return d;
    }
    case "blob":
      if (typeof value !== "string" || !BASE64.test(value))
        throw mismatch(path, "base64 <class 'bytes'>", value, secret);
      return Buffer.from(value, "base64");
    case "document":
      return value;
    case "list":
      if (!Array.isArray(value)) throw mismatch(path, "<class 'list'>, <class 'tuple'>", value);
      return value.map((item, i) => {
        if (item === null) throw mismatch(`${path}[${i}]`, "non-null", item);
        return decodeValue(shape.member.shape, item, `${path}[${i}]`, opts);
      });
    case "map": {
      if (!isPlainObject(value)) throw mismatch(path, "<class 'dict'>", value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === null) continue;
        setEntry(out, k, decodeValue(shape.value.shape, v, `${path}.${k}`, opts));
      }
      return out;
    }
    case "structure":
    case "union":
    case "error":
      if (!isPlainObject(value)) throw mismatch(path, "<class 'dict'>", value);
      return decodeStruct(shape, value, path, opts);
  }
}

export interface EncodeOptions {
  /** Throw when the value carries a member the model does not have. */
  strict: boolean;
}

export function encodeJsonOutput(
  shape: StructShape,
  value: unknown,
  opts: EncodeOptions,
): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  return encodeValue(shape, value, shape.name, opts) as Record<string, unknown>;
}

function encodeValue(shape: Shape, value: unknown, path: string, opts: EncodeOptions): unknown {
  switch (shape.kind) {
    case "timestamp":
      if (value instanceof Date) return value.getTime() / 1000;
      if (typeof value === "number") return value / 1000;
      throw new Error(`${path}: timestamp must be a Date or epoch milliseconds`);
    case "blob":
      if (typeof value === "string") return Buffer.from(value).toString("base64");
      if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
      throw new Error(`${path}: blob must be bytes`);
    case "list":
      if (!Array.isArray(value)) throw new Error(`${path}: expected an array`);
      return value.map((v, i) => encodeValue(shape.member.shape, v, `${path}[${i}]`, opts));
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v !== undefined) setEntry(out, k, encodeValue(shape.value.shape, v, `${path}.${k}`, opts));
      }
      return out;
    }
    case "structure":
    case "union":
    case "error": {
      // Members are emitted in model order, as AWS does.
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, member] of shape.members) {
        const v = src[k];
        if (v === undefined || v === null) continue;
        out[k] = encodeValue(member.shape, v, `${path}.${k}`, opts);
      }
      if (opts.strict) {
        for (const k of Object.keys(src)) {
          if (!shape.members.has(k) && src[k] !== undefined) {
            throw new Error(`${path}: member "${k}" is not in the model of ${shape.name}`);
          }
        }
      }
      return out;
    }
    default:
      return value;
  }
}
