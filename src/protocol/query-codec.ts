/**
 * Model-driven decoding of AWS Query (and EC2 Query) form parameters, and XML rendering of output.
 *
 * Key naming follows the AWS SDK's own Query serializer: a member is keyed by its `xmlName` (EC2:
 * `ec2QueryName`, else the capitalised name); lists are `Name.member.N` (flattened or EC2:
 * `Name.N`); maps are `Name.entry.N.key` / `.value`; an empty list is sent as `Name=`.
 */
import { XMLBuilder } from "fast-xml-parser";
import { AwsError, type ErrorDef, Errors } from "../errors/catalog.js";
import { setEntry } from "../lib/own-entry.js";
import type { Member, Shape, StructShape } from "./model.js";
import { parseTimestamp } from "./timestamp.js";

export type QueryFlavor = "query" | "ec2";

/** Parameters that belong to the protocol or the signature, not to the operation input. */
const RESERVED = /^(Action|Version|X-Amz-[A-Za-z-]+)$/;

function structKey(member: Member, flavor: QueryFlavor): string {
  if (flavor === "ec2") {
    if (member.traits.ec2QueryName) return member.traits.ec2QueryName;
    const k = member.traits.xmlName ?? member.name;
    return k[0]!.toUpperCase() + k.slice(1);
  }
  return member.traits.xmlName ?? member.name;
}

const elementKey = (member: Member, fallback: string) => member.traits.xmlName ?? fallback;

class FormReader {
  readonly consumed = new Set<string>();
  private readonly prefixes = new Set<string>();

  constructor(
    private readonly params: Map<string, string>,
    private readonly flavor: QueryFlavor,
    private readonly validationError: ErrorDef,
  ) {
    for (const key of params.keys()) {
      let i = key.indexOf(".");
      while (i > 0) {
        this.prefixes.add(key.slice(0, i));
        i = key.indexOf(".", i + 1);
      }
      this.prefixes.add(key);
    }
  }

  private has(key: string): boolean {
    return this.prefixes.has(key);
  }

  private take(key: string): string | undefined {
    const v = this.params.get(key);
    if (v !== undefined) this.consumed.add(key);
    return v;
  }

  readStruct(shape: StructShape, prefix: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const member of shape.members.values()) {
      const key = prefix + structKey(member, this.flavor);
      if (!this.has(key)) continue;
      const v = this.readValue(member, key);
      if (v !== undefined) out[member.name] = v;
    }
    for (const req of shape.required) {
      if (out[req] === undefined) {
        throw new AwsError(
          this.validationError,
          `The request must contain the parameter ${prefix}${structKey(shape.members.get(req)!, this.flavor)}`,
        );
      }
    }
    return out;
  }

  /** Read the value of a structure member, list element or map value at `key`. */
  private readValue(member: Member, key: string): unknown {
    const shape = member.shape;
    // Smithy puts @xmlFlattened on the member that targets the list or map.
    const flattened = member.traits.xmlFlattened === true || shape.traits.xmlFlattened === true;
    switch (shape.kind) {
      case "structure":
      case "union":
      case "error":
        return this.readStruct(shape, `${key}.`);
      case "list": {
        if (this.params.get(key) === "") {
          this.take(key);
          return [];
        }
        const flat = this.flavor === "ec2" || flattened;
        const base = flat ? key : `${key}.${elementKey(shape.member, "member")}`;
        const items: unknown[] = [];
        for (let i = 1; this.has(`${base}.${i}`); i++)
          items.push(this.readValue(shape.member, `${base}.${i}`));
        return items;
      }
      case "map": {
        const base = flattened ? key : `${key}.entry`;
        const out: Record<string, unknown> = {};
        const k = elementKey(shape.key, "key");
        const v = elementKey(shape.value, "value");
        for (let i = 1; this.has(`${base}.${i}`); i++) {
          const name = this.take(`${base}.${i}.${k}`);
          if (name === undefined) throw new AwsError(this.validationError, `${base}.${i}.${k} is required`);
          setEntry(out, name, this.readValue(shape.value, `${base}.${i}.${v}`));
        }
        return out;
      }
      default:
        return this.readScalar(shape, key);
    }
  }

  private readScalar(shape: Shape, key: string): unknown {
    const raw = this.take(key);
    if (raw === undefined) return undefined;
    const bad = (what: string) =>
      new AwsError(
        Errors.InvalidParameterValue,
        `Value '${raw}' for parameter ${key} is not a valid ${what}.`,
      );
    switch (shape.kind) {
      case "string":
        return raw;
      case "number":
      case "bigint": {
        const n = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(n)) throw bad("number");
        return n;
      }
      case "boolean":
        if (raw !== "true" && raw !== "false") throw bad("boolean");
        return raw === "true";
      case "timestamp": {
        const d = parseTimestamp(raw);
        if (!d) throw bad("timestamp");
        return d;
      }
      case "blob":
        return Buffer.from(raw, "base64");
      default:
        return raw;
    }
  }
}

/** Decode form parameters into the operation's input shape. */
export function decodeQueryInput(
  shape: StructShape,
  params: Map<string, string>,
  flavor: QueryFlavor,
  validationError: ErrorDef,
): Record<string, unknown> {
  const reader = new FormReader(params, flavor, validationError);
  const out = reader.readStruct(shape, "");
  for (const key of params.keys()) {
    if (!reader.consumed.has(key) && !RESERVED.test(key)) {
      throw new AwsError(validationError, `Unknown parameter in input: "${key}"`);
    }
  }
  return out;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: false,
  processEntities: true,
});

type XmlNode = string | XmlObject | XmlNode[];
interface XmlObject {
  [k: string]: XmlNode;
}

function formatTimestamp(value: unknown): string {
  const d = value instanceof Date ? value : new Date(value as number);
  return d.toISOString();
}

function toXml(shape: Shape, value: unknown, flavor: QueryFlavor, flattened = false): XmlNode {
  switch (shape.kind) {
    case "structure":
    case "union":
    case "error": {
      const out: XmlObject = {};
      const src = value as Record<string, unknown>;
      for (const member of shape.members.values()) {
        const v = src[member.name];
        if (v === undefined || v === null) continue;
        const name = member.traits.xmlName ?? member.name;
        const ms = member.shape;
        const flat = ms.traits.xmlFlattened === true || member.traits.xmlFlattened === true;
        if (ms.kind === "list" && flat) {
          // Each element is named after the structure member, which is where clients look for it.
          out[name] = (v as unknown[]).map((item) => toXml(ms.member.shape, item, flavor));
        } else {
          out[name] = toXml(ms, v, flavor, flat);
        }
      }
      return out;
    }
    case "list": {
      const items = value as unknown[];
      if (items.length === 0) return "";
      const itemName = shape.member.traits.xmlName ?? (flavor === "ec2" ? "item" : "member");
      return { [itemName]: items.map((item) => toXml(shape.member.shape, item, flavor)) };
    }
    case "map": {
      const k = shape.key.traits.xmlName ?? "key";
      const v = shape.value.traits.xmlName ?? "value";
      const entries = Object.entries(value as Record<string, unknown>).map(([key, val]) => ({
        [k]: key,
        [v]: toXml(shape.value.shape, val, flavor),
      }));
      if (flattened) return entries;
      if (entries.length === 0) return "";
      return { entry: entries };
    }
    case "timestamp":
      return formatTimestamp(value);
    case "blob":
      return Buffer.from(value as Uint8Array).toString("base64");
    case "boolean":
      return value ? "true" : "false";
    default:
      return String(value);
  }
}

/** Render a successful Query-protocol response. */
export function renderQueryResponse(
  operation: string,
  shape: StructShape,
  value: unknown,
  opts: { xmlNamespace: string; requestId: string; flavor: QueryFlavor },
): string {
  const body = value ? (toXml(shape, value, opts.flavor) as XmlObject) : {};
  const root =
    opts.flavor === "ec2"
      ? { "@_xmlns": opts.xmlNamespace, requestId: opts.requestId, ...(typeof body === "object" ? body : {}) }
      : {
          "@_xmlns": opts.xmlNamespace,
          ...(shape.members.size > 0 ? { [`${operation}Result`]: body } : {}),
          ResponseMetadata: { RequestId: opts.requestId },
        };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [`${operation}Response`]: root })}`;
}

/** Render a Query-protocol error body. */
export function renderQueryError(
  code: string,
  message: string,
  fault: "Sender" | "Receiver",
  opts: { xmlNamespace?: string; requestId: string; flavor: QueryFlavor },
): string {
  const doc =
    opts.flavor === "ec2"
      ? { Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: opts.requestId } }
      : {
          ErrorResponse: {
            ...(opts.xmlNamespace ? { "@_xmlns": opts.xmlNamespace } : {}),
            Error: { Type: fault, Code: code, Message: message },
            RequestId: opts.requestId,
          },
        };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(doc)}`;
}
