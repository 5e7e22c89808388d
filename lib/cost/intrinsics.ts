/**
 * Reading CloudFormation values that may hold intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Sub`): which resources a value refers to, and JSON text rendered with its tokens blanked.
 */

/** The logical ids a value refers to through `Ref`, `Fn::GetAtt` and `${Id}` / `${Id.Attr}` in `Fn::Sub`. */
export function referencedLogicalIds(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedLogicalIds(v, out);
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string' && !record.Ref.startsWith('AWS::')) out.add(record.Ref);
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') out.add(getAtt[0]);
  else if (typeof getAtt === 'string') out.add(getAtt.split('.')[0]);
  const sub = record['Fn::Sub'];
  const subText = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
  if (subText) {
    for (const m of subText.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) out.add(m[1]);
  }
  for (const [key, v] of Object.entries(record)) {
    if (key !== 'Ref') referencedLogicalIds(v, out);
  }
  return out;
}

/** A plain string, or undefined when the value is (or contains) an intrinsic. */
export function literalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A string, or an `Fn::Join` of strings and tokens with each token written `<token>`; undefined otherwise. */
export function flatText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const join = value && typeof value === 'object' ? (value as Record<string, unknown>)['Fn::Join'] : undefined;
  if (!Array.isArray(join) || typeof join[0] !== 'string' || !Array.isArray(join[1])) return undefined;
  return (join[1] as unknown[]).map((x) => (typeof x === 'string' ? x : '<token>')).join(join[0]);
}

/** A number written as a number or a numeric string, or undefined. */
export function literalNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Whether the characters so far leave us inside a JSON string. */
function insideJsonString(text: string): boolean {
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') inside = !inside;
  }
  return inside;
}

/**
 * A JSON document that CDK may have rendered as `Fn::Join` (or `Fn::Sub`) around tokens, parsed with
 * each token replaced: inside a JSON string by `<token>`, elsewhere by `null`. Undefined when the
 * value is not JSON text.
 */
export function parseJsonWithTokens(value: unknown): unknown {
  let text: string;
  if (typeof value === 'string') {
    text = value;
  } else if (value && typeof value === 'object' && Array.isArray((value as Record<string, unknown>)['Fn::Join'])) {
    const [separator, parts] = (value as Record<string, [string, unknown[]]>)['Fn::Join'];
    text = '';
    (parts ?? []).forEach((part, i) => {
      if (i > 0) text += separator;
      text += typeof part === 'string' ? part : insideJsonString(text) ? '<token>' : 'null';
    });
  } else if (value && typeof value === 'object' && (value as Record<string, unknown>)['Fn::Sub'] !== undefined) {
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    const template = typeof sub === 'string' ? sub : Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : '';
    text = '';
    let last = 0;
    for (const m of template.matchAll(/\$\{[^}]+\}/g)) {
      text += template.slice(last, m.index);
      text += insideJsonString(text) ? '<token>' : 'null';
      last = m.index + m[0].length;
    }
    text += template.slice(last);
  } else {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
