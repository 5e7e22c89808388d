/**
 * Reading untyped JSON (synthesized CloudFormation templates, Terraform JSON, lock files): the one
 * set of narrowing helpers the readers in lib/ share.
 */

/** A JSON object: not null, not an array. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value if it is a JSON object, else `undefined`. */
export function asObject(value: unknown): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

/** The value if it is a JSON object, else an empty object (for reading optional nested fields). */
export function fieldsOf(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}

/**
 * The value as a list: a list as it is, nothing (`undefined`, `null`) as `[]`, one value as `[value]`
 * (IAM's "one or many" fields, Terraform blocks written as an object).
 */
export function asList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

/** A string, or a number written as one; anything else is `undefined`. */
export function asText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The strings (and numbers, as strings) of a value read as a list. */
export function asTexts(value: unknown): string[] {
  return asList(value).map(asText).filter((s): s is string => s !== undefined);
}

/** A whole number, written as a number or as a string of digits; anything else is `undefined`. */
export function asWholeNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** JSON with the keys of every object sorted: equal values give equal text, whatever their key order. */
export function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isJsonObject(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
    : v));
}
