/**
 * `out[key] = value` for keys that come from a request, except that `__proto__` becomes an own
 * entry instead of going to the prototype setter (which would drop it, or replace the prototype).
 */
export function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
