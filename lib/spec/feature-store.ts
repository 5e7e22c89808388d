/**
 * FeatureStore spec, cloud-neutral: feature groups made of typed features, a record identifier and
 * an event time, an online store (low-latency reads) and an offline store (history for training).
 */
import { z } from 'zod';
import { renderValue } from '../errors';
import { addIssue, int } from './primitives';

export const FEATURE_TYPES = ['Integral', 'Fractional', 'String'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];
export const ONLINE_STORAGE_TYPES = ['Standard', 'InMemory'] as const;
export const OFFLINE_TABLE_FORMATS = ['Glue', 'Iceberg'] as const;
export const TTL_UNITS = ['Seconds', 'Minutes', 'Hours', 'Days', 'Weeks'] as const;
export const THROUGHPUT_MODES = ['OnDemand', 'Provisioned'] as const;

/** Feature group names: `^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$` (SageMaker). */
export const FEATURE_GROUP_NAME = /^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$/;
/** Feature names: `^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$` (SageMaker). */
export const FEATURE_NAME = /^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$/;
/** Column names the offline store adds to every record: a feature cannot use them. */
export const RESERVED_FEATURE_NAMES = ['is_deleted', 'write_time', 'api_invocation_time'] as const;

const featureSchema = z.strictObject({
  name: z.string().regex(FEATURE_NAME, { error: 'a feature name: 1-64 letters, digits, hyphens and underscores, starting and ending with a letter or digit' }),
  type: z.enum(FEATURE_TYPES).meta({ description: "'Integral' (whole numbers), 'Fractional' (floating point) or 'String'." }),
});

const onlineStoreSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: 'Serve the latest record of each identifier with low latency. @default true' }),
  storageType: z.enum(ONLINE_STORAGE_TYPES).default('Standard').meta({ description: "'Standard' (durable, KMS-encrypted) or 'InMemory' (lowest latency). @default 'Standard'" }),
  ttl: z.strictObject({
    value: int(1),
    unit: z.enum(TTL_UNITS),
  }).optional().meta({ description: 'Records expire from the online store this long after their event time. @default - never' }),
});

const offlineStoreSchema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: 'Keep every record in S3 for training and point-in-time queries. @default true' }),
  tableFormat: z.enum(OFFLINE_TABLE_FORMATS).default('Glue').meta({ description: "Table format of the offline store: 'Glue' or 'Iceberg' (compaction, faster queries). @default 'Glue'" }),
});

const throughputSchema = z.strictObject({
  mode: z.enum(THROUGHPUT_MODES).default('OnDemand').meta({ description: "'OnDemand' (pay per request) or 'Provisioned' (capacity units). @default 'OnDemand'" }),
  readCapacityUnits: int(1, 40000).optional().meta({ description: "Online store read capacity (mode 'Provisioned')." }),
  writeCapacityUnits: int(1, 40000).optional().meta({ description: "Online store write capacity (mode 'Provisioned')." }),
});

export const featureGroupSpecSchema = z.strictObject({
  name: z.string().regex(FEATURE_GROUP_NAME, { error: 'a feature group name: 1-64 letters, digits, hyphens and underscores, starting and ending with a letter or digit' })
    .meta({ description: 'Feature group name, which readers and writers use. Changing it creates a new feature group.' }),
  description: z.string().max(128).optional().meta({ description: 'Changing it replaces the deployed feature group. @default - none' }),
  recordIdentifier: z.string().min(1).meta({ description: "The feature that identifies a record ('Integral' or 'String')." }),
  eventTime: z.string().min(1).meta({ description: "The feature holding each record's event time: 'Fractional' (Unix seconds) or 'String' (ISO-8601)." }),
  features: z.array(featureSchema).min(1).max(2500).meta({ description: 'Typed features, including the record identifier and the event time. Appending features updates a deployed group in place.' }),
  onlineStore: onlineStoreSchema.default({ enabled: true, storageType: 'Standard' }),
  offlineStore: offlineStoreSchema.default({ enabled: true, tableFormat: 'Glue' }),
  throughput: throughputSchema.default({ mode: 'OnDemand' }),
}).superRefine((g, ctx) => {
  const seen = new Map<string, number>();
  g.features.forEach((f, i) => {
    const key = f.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) addIssue(ctx, ['features', i, 'name'], `repeats the name of features[${first}] (names are case-insensitive)`, { got: renderValue(f.name), expected: 'a name no other feature has' });
    else seen.set(key, i);
    if ((RESERVED_FEATURE_NAMES as readonly string[]).includes(key)) {
      addIssue(ctx, ['features', i, 'name'], 'is reserved by the offline store', { got: renderValue(f.name), expected: `a name other than ${RESERVED_FEATURE_NAMES.map((n) => `'${n}'`).join(', ')}` });
    }
  });
  const typeOf = (name: string) => g.features.find((f) => f.name === name)?.type;
  const names = g.features.map((f) => `'${f.name}'`).slice(0, 8).join(', ');
  const recordType = typeOf(g.recordIdentifier);
  if (recordType === undefined) addIssue(ctx, ['recordIdentifier'], 'names no feature of the group', { got: renderValue(g.recordIdentifier), expected: `one of ${names}` });
  else if (recordType === 'Fractional') addIssue(ctx, ['recordIdentifier'], "names a 'Fractional' feature", { got: `'${g.recordIdentifier}' of type 'Fractional'`, expected: "an 'Integral' or 'String' feature" });
  const eventType = typeOf(g.eventTime);
  if (eventType === undefined) addIssue(ctx, ['eventTime'], 'names no feature of the group', { got: renderValue(g.eventTime), expected: `one of ${names}` });
  else if (eventType === 'Integral') addIssue(ctx, ['eventTime'], "names an 'Integral' feature", { got: `'${g.eventTime}' of type 'Integral'`, expected: "a 'Fractional' (Unix seconds) or 'String' (ISO-8601) feature" });
  if (eventType !== undefined && g.eventTime === g.recordIdentifier) addIssue(ctx, ['eventTime'], 'is the record identifier', { got: renderValue(g.eventTime), expected: 'a feature other than the record identifier' });

  if (!g.onlineStore.enabled && !g.offlineStore.enabled) addIssue(ctx, ['offlineStore', 'enabled'], 'leaves the group with no store', { got: 'both stores disabled', expected: 'an online store, an offline store or both' });
  if (!g.onlineStore.enabled && g.onlineStore.ttl) addIssue(ctx, ['onlineStore', 'ttl'], 'needs the online store', { got: 'a ttl with the online store disabled', expected: 'onlineStore.enabled true, or no ttl' });
  const t = g.throughput;
  if (t.mode === 'Provisioned') {
    if (t.readCapacityUnits === undefined) addIssue(ctx, ['throughput', 'readCapacityUnits'], "is required in mode 'Provisioned'", { got: 'nothing', expected: 'a whole number from 1 to 40000' });
    if (t.writeCapacityUnits === undefined) addIssue(ctx, ['throughput', 'writeCapacityUnits'], "is required in mode 'Provisioned'", { got: 'nothing', expected: 'a whole number from 1 to 40000' });
    if (!g.onlineStore.enabled) addIssue(ctx, ['throughput', 'mode'], 'sets online store capacity but the online store is disabled', { got: "'Provisioned'", expected: "'OnDemand', or an online store" });
  } else {
    for (const field of ['readCapacityUnits', 'writeCapacityUnits'] as const) {
      if (t[field] !== undefined) addIssue(ctx, ['throughput', field], "only applies to mode 'Provisioned'", { got: `${field} with mode '${t.mode}'`, expected: `mode 'Provisioned', or no ${field}` });
    }
  }
});

export const featureStoreSpecSchema = z.strictObject({
  featureGroups: z.array(featureGroupSpecSchema).min(1).max(100).meta({ description: 'The feature groups of the store.' }),
}).superRefine((s, ctx) => {
  const seen = new Map<string, number>();
  s.featureGroups.forEach((g, i) => {
    const first = seen.get(g.name.toLowerCase());
    if (first !== undefined) addIssue(ctx, ['featureGroups', i, 'name'], `repeats the name of featureGroups[${first}]`, { got: renderValue(g.name), expected: 'a name no other feature group has' });
    else seen.set(g.name.toLowerCase(), i);
  });
});

/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { FeatureGroupSpecInput } from './types.generated';
export type { FeatureGroupSpecInput };
export type FeatureGroupSpec = z.output<typeof featureGroupSpecSchema>;
/** The input as written (defaults not yet applied), with every field's description as TSDoc: generated from the schema (scripts/generate-spec-types.ts). */
import type { FeatureStoreSpecInput } from './types.generated';
export type { FeatureStoreSpecInput };
export type FeatureStoreSpec = z.output<typeof featureStoreSpecSchema>;
