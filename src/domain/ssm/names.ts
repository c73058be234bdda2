/**
 * SSM parameter names, ARNs and selectors (pure).
 *
 * - A name is either flat (`db-password`) or a path (`/prod/db/password`, at most 15 levels), made of
 *   letters, digits and `_ . -`, with `/` between levels. Names may not start with `aws` or `ssm`
 *   (case-insensitive); paths under `/aws` are reserved for AWS's public parameters.
 * - ARN: `arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`.
 * - A reference in GetParameter(s) is a name or ARN, optionally followed by `:<version>` or
 *   `:<label>` (the selector).
 */
import { AwsError, Errors } from "../../errors/catalog.js";
import { formatArn, parseArn } from "../arn.js";

export const MAX_LEVELS = 15;

const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;

export const INVALID_PATH_MESSAGE =
  'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

export const RESERVED_PREFIX_MESSAGE =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).';

export const HIERARCHY_MESSAGE =
  "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the Amazon Web Services Systems Manager User Guide.";

/** AWS removes spaces around a name; spaces inside it are an error. */
export const normalizeName = (name: string) => name.trim();

/** The number of levels of a name: `/a/b/c` has 3, a flat name 1. */
export const levels = (name: string) => (name.startsWith("/") ? name.slice(1) : name).split("/").length;

/** Check a name a parameter is created under. Throws SSM's errors. */
export function validateNewName(name: string): void {
  const isPath = name.includes("/");
  const lower = name.toLowerCase();
  const bare = lower.replace(/^\/+/, "");
  if (bare.startsWith("aws") || bare.startsWith("ssm")) {
    if (isPath && lower.startsWith("/aws")) {
      throw new AwsError(Errors.AccessDenied, `No access to reserved parameter name: ${name}.`);
    }
    throw new AwsError(Errors.Validation, isPath ? INVALID_PATH_MESSAGE : RESERVED_PREFIX_MESSAGE);
  }
  if (
    !NAME_CHARS.test(name) ||
    (isPath && (!name.startsWith("/") || name.endsWith("/") || name.includes("//")))
  ) {
    throw new AwsError(Errors.Validation, INVALID_PATH_MESSAGE);
  }
  if (levels(name) > MAX_LEVELS) throw new AwsError(Errors.HierarchyLevelLimitExceeded, HIERARCHY_MESSAGE);
}

export function parameterArn(region: string, accountId: string, name: string): string {
  return formatArn({
    service: "ssm",
    region,
    accountId,
    resource: `parameter/${name.startsWith("/") ? name.slice(1) : name}`,
  });
}

export type Selector = { version: number } | { label: string };

export interface ParameterRef {
  name: string;
  selector?: Selector;
  /** The selector as written after the name (":3", ":prod"), for Parameter.Selector. */
  selectorText?: string;
}

/**
 * Split a GetParameter(s) reference into name and selector. Returns undefined for a reference that
 * can name no parameter (an ARN of another region or account, or of another service, or more than
 * one selector).
 */
export function parseReference(ref: string, region: string, accountId: string): ParameterRef | undefined {
  let body = normalizeName(ref);
  if (body.startsWith("arn:")) {
    const arn = parseArn(body);
    if (arn?.service !== "ssm" || !arn.resource.startsWith("parameter/")) return undefined;
    if (arn.region !== region || arn.accountId !== accountId) return undefined;
    const rest = arn.resource.slice("parameter/".length);
    const colon = rest.indexOf(":");
    const path = colon < 0 ? rest : rest.slice(0, colon);
    body = (path.includes("/") ? `/${path}` : path) + (colon < 0 ? "" : rest.slice(colon));
  }
  const parts = body.split(":");
  if (parts.length > 2) return undefined;
  const [name, sel] = parts as [string, string | undefined];
  if (sel === undefined) return { name };
  if (sel === "") return undefined;
  if (/^\d+$/.test(sel)) return { name, selector: { version: Number(sel) }, selectorText: `:${sel}` };
  return { name, selector: { label: sel }, selectorText: `:${sel}` };
}

/**
 * Labels a version may carry: 1-100 characters of letters, digits, `.`, `-` and `_`; not starting
 * with a digit, nor with `aws` or `ssm` (case-insensitive). LabelParameterVersion reports the others
 * as InvalidLabels instead of failing.
 */
export function isValidLabel(label: string): boolean {
  if (label.length < 1 || label.length > 100) return false;
  if (!/^[a-zA-Z0-9_.-]+$/.test(label)) return false;
  if (/^\d/.test(label)) return false;
  const lower = label.toLowerCase();
  return !lower.startsWith("aws") && !lower.startsWith("ssm");
}
