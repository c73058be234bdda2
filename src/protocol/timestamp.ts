/**
 * Timestamps as AWS clients send them in a string: epoch seconds (`1700000000.5`), RFC 3339 /
 * ISO-8601 date-time (`2024-01-02T03:04:05Z`, optionally with fractions or an offset) or an HTTP
 * date (`Tue, 02 Jan 2024 03:04:05 GMT`). Anything else is refused, rather than handed to
 * `Date.parse`, which reads "12" as December 2001.
 */
const EPOCH = /^-?\d+(\.\d+)?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function parseTimestamp(raw: string): Date | undefined {
  let d: Date | undefined;
  if (EPOCH.test(raw)) d = new Date(Number(raw) * 1000);
  else if (DATE_TIME.test(raw) || HTTP_DATE.test(raw)) d = new Date(raw);
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}
