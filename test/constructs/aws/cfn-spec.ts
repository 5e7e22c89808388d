/**
 * Checks synthesized resources against CloudFormation's resource specification (the registry
 * schemas in @aws-cdk/aws-service-spec, what CDK's L1s are generated from): every property, at
 * every depth of a literal value, is one the type declares, and every required one is there.
 * Intrinsics (Fn::*, Ref) are values CloudFormation resolves: not checked further.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';

type SpecDb = ReturnType<typeof loadAwsServiceSpecSync>;
type PropType = { type: string; reference?: { $ref: string }; element?: PropType; inner?: PropType[] };
type Props = Record<string, { type: PropType; required?: boolean }>;

let db: SpecDb | undefined;
const spec = (): SpecDb => (db ??= loadAwsServiceSpecSync());
const isIntrinsic = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Fn::)/.test(Object.keys(v)[0]);

function checkObject(value: unknown, props: Props, where: string, out: string[]): void {
  if (isIntrinsic(value)) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${where}: expected an object`);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const [name, p] of Object.entries(props)) if (p.required && record[name] === undefined) out.push(`${where}.${name}: required`);
  for (const [name, v] of Object.entries(record)) {
    const p = props[name];
    if (!p) out.push(`${where}.${name}: not a property of the type`);
    else checkValue(v, p.type, `${where}.${name}`, out);
  }
}

function checkValue(value: unknown, type: PropType, where: string, out: string[]): void {
  if (isIntrinsic(value)) return;
  if (type.type === 'ref' && type.reference) {
    const def = spec().get('typeDefinition', type.reference.$ref) as unknown as { properties: Props };
    checkObject(value, def.properties, where, out);
  } else if (type.type === 'array' && type.element) {
    if (!Array.isArray(value)) out.push(`${where}: expected a list`);
    else value.forEach((v, i) => checkValue(v, type.element!, `${where}[${i}]`, out));
  } else if (type.type === 'union' && type.inner) {
    const attempts = type.inner.map((t) => { const o: string[] = []; checkValue(value, t, where, o); return o; });
    if (!attempts.some((a) => a.length === 0)) out.push(...attempts[0]);
  }
}

/** Problems of the template's resources of the given types against the specification (empty: valid). */
export function specProblems(template: { Resources?: Record<string, { Type: string; Properties?: unknown }> }, types: readonly string[]): string[] {
  const out: string[] = [];
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (!types.includes(r.Type)) continue;
    const resource = spec().lookup('resource', 'cloudFormationType', 'equals', r.Type).only();
    checkObject(r.Properties ?? {}, resource.properties, `${id} (${r.Type})`, out);
  }
  return out;
}
