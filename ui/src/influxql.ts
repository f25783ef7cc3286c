// InfluxQL text helpers: quoting of identifiers and literals.

/** Quotes an identifier with double quotes (always, so keywords are safe). */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

/** Quotes a string literal with single quotes. */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

/** Escapes a value for use inside a /regex/ literal (matching it exactly). */
export function escapeRegex(value: string): string {
  return value.replace(/[\\/.*+?^${}()|[\]]/g, '\\$&');
}

/** `"db"."rp"."measurement"` (rp omitted when empty: `"db".."m"`). */
export function qualifiedMeasurement(db: string, rp: string, measurement: string): string {
  if (!db) return quoteIdent(measurement);
  return `${quoteIdent(db)}.${rp ? quoteIdent(rp) : ''}.${quoteIdent(measurement)}`;
}

/** Whether a statement only reads (so it may be refreshed or charted). */
export function isReadOnly(q: string): boolean {
  return /^\s*(select|show|explain)\b/i.test(q);
}
