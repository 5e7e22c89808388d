/**
 * Generates lib/spec/types.generated.ts: the spec's input types as TypeScript interfaces, each field
 * with its zod description (`.meta({ description })`) as TSDoc, so editors show it on hover in
 * TypeScript as they do in YAML through the JSON Schema. `npm run generate` writes it; a test checks
 * that the committed file is up to date and that each interface is the zod schema's input type.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { computeSchema } from '../lib/spec/compute';
import { driftMonitorSpecSchema } from '../lib/spec/drift-monitor';
import { endpointSpecSchema } from '../lib/spec/endpoint';
import { experimentTrackerSpecSchema } from '../lib/spec/experiment-tracker';
import { featureGroupSpecSchema, featureStoreSpecSchema } from '../lib/spec/feature-store';
import { governanceSpecSchema } from '../lib/spec/governance';
import { endpointKubernetesSchema, platformKubernetesSchema } from '../lib/spec/kubernetes';
import { modelCardSpecSchema } from '../lib/spec/model-card';
import { pipelineSpecSchema } from '../lib/spec/pipeline';
import { batchSpecSchema } from '../lib/spec/batch';
import { platformSpecSchema } from '../lib/spec/platform';
import { isTokenBranch } from '../lib/spec/primitives';
import { registrySpecSchema } from '../lib/spec/registry';
import { componentEndpointSpecSchema, sharedEndpointSpecSchema } from '../lib/spec/shared-endpoint';
import { trainingClusterSpecSchema } from '../lib/spec/training-cluster';

export const GENERATED_FILE = path.join(__dirname, '..', 'lib', 'spec', 'types.generated.ts');

/** The interfaces generated, by name: the input type of each schema. Nested uses of a listed schema refer to it by name. */
export const GENERATED_TYPES: Readonly<Record<string, z.ZodType>> = {
  PlatformSpecInput: platformSpecSchema,
  EndpointSpecInput: endpointSpecSchema,
  ComponentEndpointSpecInput: componentEndpointSpecSchema,
  SharedEndpointSpecInput: sharedEndpointSpecSchema,
  RegistrySpecInput: registrySpecSchema,
  FeatureStoreSpecInput: featureStoreSpecSchema,
  FeatureGroupSpecInput: featureGroupSpecSchema,
  DriftMonitorSpecInput: driftMonitorSpecSchema,
  PipelineSpecInput: pipelineSpecSchema,
  BatchSpecInput: batchSpecSchema,
  ExperimentTrackerSpecInput: experimentTrackerSpecSchema,
  TrainingClusterSpecInput: trainingClusterSpecSchema,
  GovernanceSpecInput: governanceSpecSchema,
  ModelCardSpecInput: modelCardSpecSchema,
  PlatformKubernetesSpecInput: platformKubernetesSchema,
  EndpointKubernetesSpecInput: endpointKubernetesSchema,
  // Every use (inference, training, processing) refines the same object: matched by its shape.
  ComputeInput: computeSchema('inference', { allowServerless: true }),
};

type Def = {
  type: string;
  innerType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  in?: z.core.$ZodType;
  keyType?: z.core.$ZodType;
  /** z.partialRecord: any of the keys, not every one. */
  partial?: boolean;
  valueType?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  entries?: Record<string, string | number>;
  values?: unknown[];
  defaultValue?: unknown;
  checks?: { _zod: { def: { check: string; format?: string; value?: number; minimum?: number; maximum?: number; error?: (issue: unknown) => unknown } } }[];
};

const defOf = (s: z.core.$ZodType): Def => s._zod.def as unknown as Def;
const WRAPPERS = ['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch'];

/** The description of a field: on the field's schema or any wrapper inside it (optional, default, pipe input, token union). */
export function descriptionOf(schema: z.core.$ZodType): string | undefined {
  for (let s: z.core.$ZodType | undefined = schema; s;) {
    const description = z.globalRegistry.get(s)?.description;
    if (description && !isTokenBranch(s)) return description;
    const def = defOf(s);
    if (WRAPPERS.includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (def.type === 'union' && def.options!.filter((o) => !isTokenBranch(o)).length === 1) s = def.options!.find((o) => !isTokenBranch(o));
    else return undefined;
  }
  return undefined;
}

/** The default value of a field (through optional wrappers), when it has one. */
function defaultOf(schema: z.core.$ZodType): { value: unknown } | undefined {
  for (let s: z.core.$ZodType | undefined = schema; s;) {
    const def = defOf(s);
    if (def.type === 'default' || def.type === 'prefault') return { value: def.defaultValue };
    s = WRAPPERS.includes(def.type) ? def.innerType : undefined;
  }
  return undefined;
}

/** The schema under wrappers and token unions: what the value is. */
function core(schema: z.core.$ZodType): z.core.$ZodType {
  const def = defOf(schema);
  if (WRAPPERS.includes(def.type)) return core(def.innerType!);
  if (def.type === 'pipe') return core(def.in!);
  if (def.type === 'union') {
    const kept = def.options!.filter((o) => !isTokenBranch(o));
    if (kept.length === 1) return core(kept[0]);
  }
  return schema;
}

/** A description for a field whose schema has none, from what the schema checks. */
function derivedDescription(schema: z.core.$ZodType): string {
  const s = core(schema);
  const def = defOf(s);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string': {
      const message = checks.map((c) => c.error?.(undefined)).find((m): m is string => typeof m === 'string');
      if (message) return `${message[0].toUpperCase()}${message.slice(1)}.`;
      if (checks.some((c) => c.format === 'email')) return 'An email address.';
      const max = checks.find((c) => c.check === 'max_length')?.maximum;
      return max !== undefined ? `Text of at most ${max} characters.` : 'Text.';
    }
    case 'number': {
      const whole = checks.some((c) => c.format === 'safeint');
      const min = checks.find((c) => c.check === 'greater_than')?.value;
      const max = checks.find((c) => c.check === 'less_than')?.value;
      const bounded = max !== undefined && max < Number.MAX_SAFE_INTEGER;
      return `A ${whole ? 'whole ' : ''}number${min !== undefined && bounded ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : ''}.`;
    }
    case 'enum': return `One of ${Object.values(def.entries!).map((v) => JSON.stringify(v)).join(', ')}.`;
    case 'array': {
      const element = descriptionOf(def.element!) ?? derivedDescription(def.element!);
      return `A list; each: ${element[0].toLowerCase()}${element.slice(1)}`;
    }
    case 'record': return 'Names to values.';
    case 'object': return `Settings: ${Object.keys(def.shape!).map((k) => `\`${k}\``).join(', ')}.`;
    case 'union': return 'One of the shapes below.';
    default: return 'See the type.';
  }
}

function tsdoc(schema: z.core.$ZodType, indent: string): string {
  const text = descriptionOf(schema) ?? derivedDescription(schema);
  const [body, ...defaults] = text.split(/\s*@default\s+/);
  const fallback = defaultOf(schema);
  const defaultTag = defaults.length > 0 ? defaults.join(' ') : fallback ? JSON.stringify(fallback.value) : undefined;
  const lines = [body.trim() || derivedDescription(schema), ...(defaultTag !== undefined ? [`@default ${defaultTag}`] : [])];
  const safe = lines.map((l) => l.replace(/\*\//g, '*\\/'));
  return [`${indent}/**`, ...safe.map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');
}

function isOptionalKey(schema: z.core.$ZodType): boolean {
  const type = defOf(schema).type;
  if (type === 'optional' || type === 'default' || type === 'prefault') return true;
  if (type === 'pipe') return isOptionalKey(defOf(schema).in!);
  return false;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Two objects with the very same field schemas (a refinement clones the object, not its fields). */
function sameShape(a: Record<string, z.core.$ZodType> | undefined, b: Record<string, z.core.$ZodType>): boolean {
  return a !== undefined && Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}

/**
 * A record: `Record<string, V>`, or keyed by an enum: every key required (z.record), or any of
 * them (z.partialRecord).
 */
function recordType(def: Def, indent: string, self: string): string {
  const value = typeOf(def.valueType!, indent, self);
  const key = def.keyType;
  if (!key || defOf(key).type !== 'enum') return `Record<string, ${value}>`;
  const record = `Record<${typeOf(key, indent, self)}, ${value}>`;
  return def.partial ? `Partial<${record}>` : record;
}

/**
 * A generated object type that `shape` extends (`named.extend({...})`): most of its fields are the
 * very same schemas. The fields `shape` adds or replaces are written after it; those it replaces are
 * omitted from it, so each shared field (and its TSDoc) is written once.
 */
function extendedType(shape: Record<string, z.core.$ZodType>, self: string): { name: string; replaced: string[] } | undefined {
  for (const [name, named] of Object.entries(GENERATED_TYPES)) {
    const base = defOf(core(named));
    if (name === self || base.type !== 'object') continue;
    const keys = Object.keys(base.shape!);
    const replaced = keys.filter((k) => shape[k] !== base.shape![k]);
    if (replaced.some((k) => !(k in shape)) || replaced.length * 2 > keys.length) continue;
    return { name, replaced };
  }
  return undefined;
}

/** The TypeScript input type of `schema`. `self` is the interface being written (not referred to by name). */
function typeOf(schema: z.core.$ZodType, indent: string, self: string): string {
  const def = defOf(schema);
  for (const [name, named] of Object.entries(GENERATED_TYPES)) {
    const same = named === schema || (def.type === 'object' && sameShape(defOf(core(named)).shape, def.shape!));
    if (same && name !== self) return name;
  }
  const base = def.type === 'object' ? extendedType(def.shape!, self) : undefined;
  if (base) {
    const own = Object.fromEntries(Object.entries(def.shape!).filter(([k]) => base.replaced.includes(k) || !(k in defOf(core(GENERATED_TYPES[base.name])).shape!)));
    const omitted = base.replaced.length > 0 ? `Omit<${base.name}, ${base.replaced.map((k) => `'${k}'`).join(' | ')}>` : base.name;
    return `${omitted} & ${objectType(own, indent, self)}`;
  }
  switch (def.type) {
    case 'optional': case 'default': case 'prefault': case 'readonly': case 'nonoptional': case 'catch':
      return typeOf(def.innerType!, indent, self);
    case 'nullable': return `${typeOf(def.innerType!, indent, self)} | null`;
    case 'pipe': return typeOf(def.in!, indent, self);
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'enum': return Object.values(def.entries!).map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
    case 'literal': return def.values!.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ');
    case 'array': {
      const element = typeOf(def.element!, indent, self);
      return /^[\w'.]+$/.test(element) || element.startsWith('{') ? `${element}[]` : `Array<${element}>`;
    }
    case 'record': return recordType(def, indent, self);
    case 'union': {
      const kept = def.options!.filter((o) => !isTokenBranch(o));
      return kept.map((o) => typeOf(o, indent, self)).join(' | ');
    }
    case 'object': return objectType(def.shape!, indent, self);
    case 'never': return 'never';
    default: return 'unknown';
  }
}

function objectType(shape: Record<string, z.core.$ZodType>, indent: string, self: string): string {
  const inner = `${indent}  `;
  const members = Object.entries(shape).map(([key, field]) => {
    const name = IDENTIFIER.test(key) ? key : JSON.stringify(key);
    return `${tsdoc(field, inner)}\n${inner}${name}${isOptionalKey(field) ? '?' : ''}: ${typeOf(field, inner, self)};`;
  });
  return `{\n${members.join('\n')}\n${indent}}`;
}

/** The whole generated file. */
export function generateSpecTypes(): string {
  const parts = [
    '// Generated by scripts/generate-spec-types.ts from the zod schemas in lib/spec (npm run generate). Do not edit.',
    '// Each type is the input type of its schema (z.input), with the schema\'s field descriptions as TSDoc.',
  ];
  for (const [name, schema] of Object.entries(GENERATED_TYPES)) {
    const top = core(schema);
    const description = z.globalRegistry.get(schema)?.description;
    parts.push('', `/** ${description ?? `The input of the spec's \`${name.replace(/SpecInput$/, '')}\` section, as written (defaults not yet applied).`} */`);
    // A type alias rather than an interface: object literal types keep their implicit index signature (Record<string, unknown>).
    parts.push(`export type ${name} = ${typeOf(top, '', name)};`)
  }
  return `${parts.join('\n')}\n`;
}

if (require.main === module) {
  fs.writeFileSync(GENERATED_FILE, generateSpecTypes());
  process.stdout.write(`wrote ${path.relative(process.cwd(), GENERATED_FILE)}\n`);
}
