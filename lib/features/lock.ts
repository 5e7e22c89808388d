/**
 * The feature group lock: the definitions of deployed feature groups, as their templates render
 * them, committed beside the app (`feature-store.lock.json`) and rewritten only by
 * `mlops features lock` (bin/commands/features.ts); the AWS FeatureStore construct reads it. A synthesized feature group is compared with its locked definition, and a
 * change that CloudFormation would carry out by REPLACING the feature group (deleting its online
 * records and detaching its offline table) is refused with a migration path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ValidationIssue } from '../errors';
import { isJsonObject, sortedKeysJson } from '../json';

/** Where an app looks for the lock file, relative to the working directory (`cdk.json` context key). */
export const LOCK_CONTEXT_KEY = 'cdk-mlops:featureStoreLock';
export const DEFAULT_LOCK_FILE = 'feature-store.lock.json';
export const LOCK_VERSION = 1;

/** One deployed feature group: its stack and its CloudFormation properties as synthesized. */
export interface LockedFeatureGroup {
  readonly stackName: string;
  readonly properties: Record<string, unknown>;
}

export interface LockFileContent {
  readonly version: number;
  /** Keyed by `<stackName>/<featureGroupName>`. */
  readonly featureGroups: Record<string, LockedFeatureGroup>;
}

/**
 * The properties of AWS::SageMaker::FeatureGroup that CloudFormation changes by replacement, and
 * what they are in spec terms. (FeatureDefinitions and ThroughputConfig update in place; a test
 * checks this list against the CloudFormation resource specification.)
 */
export const REPLACING_PROPERTIES: Readonly<Record<string, { field: string; what: string }>> = {
  FeatureGroupName: { field: 'name', what: 'the feature group name' },
  Description: { field: 'description', what: 'the description' },
  RecordIdentifierFeatureName: { field: 'recordIdentifier', what: 'the record identifier' },
  EventTimeFeatureName: { field: 'eventTime', what: 'the event time feature' },
  OnlineStoreConfig: { field: 'onlineStore', what: 'the online store configuration (enabled, storage type, TTL or KMS key)' },
  OfflineStoreConfig: { field: 'offlineStore', what: 'the offline store configuration (enabled, table format, S3 location or KMS key)' },
  RoleArn: { field: 'role', what: 'the offline store role' },
  Tags: { field: 'tags', what: 'the tags' },
};

export function lockKey(stackName: string, featureGroupName: string): string {
  return `${stackName}/${featureGroupName}`;
}

export function emptyLock(): LockFileContent {
  return { version: LOCK_VERSION, featureGroups: {} };
}

/** Reads a lock file; a missing file is an empty lock (nothing deployed yet). */
export function readLockFile(file: string): LockFileContent {
  if (!fs.existsSync(file)) return emptyLock();
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockFileContent>;
  if (parsed.version !== LOCK_VERSION || typeof parsed.featureGroups !== 'object' || parsed.featureGroups === null) {
    throw new Error(`${file} is not a cdk-mlops feature store lock (expected { "version": ${LOCK_VERSION}, "featureGroups": {...} }); regenerate it with 'mlops features lock'`);
  }
  return parsed as LockFileContent;
}

export function writeLockFile(file: string, lock: LockFileContent): void {
  const sorted = Object.fromEntries(Object.entries(lock.featureGroups).sort(([a], [b]) => a.localeCompare(b)));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ version: LOCK_VERSION, featureGroups: sorted }, null, 2)}\n`);
}

function short(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = sortedKeysJson(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The leaves that differ between two template values, as `Path=value` on each side. */
function differences(before: unknown, after: unknown, at = ''): { got: string[]; expected: string[] } {
  // Intrinsics (Ref, Fn::GetAtt, ...) are compared whole.
  const intrinsic = (v: Record<string, unknown>) => Object.keys(v).some((k) => k === 'Ref' || k.startsWith('Fn::'));
  if (isJsonObject(before) && isJsonObject(after) && !intrinsic(before) && !intrinsic(after)) {
    const out = { got: [] as string[], expected: [] as string[] };
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      if (sortedKeysJson(before[key]) === sortedKeysJson(after[key])) continue;
      const d = differences(before[key], after[key], at ? `${at}.${key}` : key);
      out.got.push(...d.got);
      out.expected.push(...d.expected);
    }
    return out;
  }
  const label = (v: unknown) => (at ? `${at}=${short(v)}` : short(v));
  return { got: [label(after)], expected: [label(before)] };
}

interface FeatureDefinition { FeatureName: string; FeatureType: string }

const MIGRATE = "to change it, migrate: create a feature group under a new name with the new definition, backfill it from the offline store, move readers and writers to it, remove the old group from the app, then run 'mlops features lock'";

/**
 * What in `current` would replace the feature group deployed as `locked`, as validation issues on
 * the feature group's spec path (`featureGroups[0]`).
 */
export function replacingChanges(prefix: string, name: string, locked: Record<string, unknown>, current: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [property, { field, what }] of Object.entries(REPLACING_PROPERTIES)) {
    if (sortedKeysJson(locked[property]) === sortedKeysJson(current[property])) continue;
    const d = differences(locked[property], current[property]);
    issues.push({
      path: `${prefix}.${field}`,
      message: `changes ${what} of the deployed feature group '${name}': CloudFormation would REPLACE it (${property} is a replacement property of AWS::SageMaker::FeatureGroup), deleting its online records and detaching its offline store`,
      got: d.got.join(', '),
      expected: `the deployed ${d.expected.join(', ')}; ${MIGRATE}`,
    });
  }
  const before = (locked.FeatureDefinitions ?? []) as FeatureDefinition[];
  const after = new Map(((current.FeatureDefinitions ?? []) as FeatureDefinition[]).map((f) => [f.FeatureName, f.FeatureType]));
  for (const f of before) {
    const type = after.get(f.FeatureName);
    if (type === undefined) {
      issues.push({
        path: `${prefix}.features`,
        message: `removes feature '${f.FeatureName}' from the deployed feature group '${name}': SageMaker cannot remove a feature, only append`,
        got: `no feature '${f.FeatureName}'`,
        expected: `'${f.FeatureName}' of type '${f.FeatureType}' kept (stop writing it if it is unused); ${MIGRATE}`,
      });
    } else if (type !== f.FeatureType) {
      issues.push({
        path: `${prefix}.features`,
        message: `changes the type of feature '${f.FeatureName}' of the deployed feature group '${name}': SageMaker cannot retype a feature, only append new ones`,
        got: `'${f.FeatureName}' of type '${type}'`,
        expected: `type '${f.FeatureType}', or a new feature under another name; ${MIGRATE}`,
      });
    }
  }
  return issues;
}

/** Every AWS::SageMaker::FeatureGroup of synthesized templates, as lock entries. */
export function lockFromTemplates(stacks: readonly { stackName: string; template: { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> } }[]): LockFileContent {
  const featureGroups: Record<string, LockedFeatureGroup> = {};
  for (const { stackName, template } of stacks) {
    for (const resource of Object.values(template.Resources ?? {})) {
      if (resource.Type !== 'AWS::SageMaker::FeatureGroup' || !resource.Properties) continue;
      const name = resource.Properties.FeatureGroupName;
      if (typeof name !== 'string') continue;
      featureGroups[lockKey(stackName, name)] = { stackName, properties: resource.Properties };
    }
  }
  return { version: LOCK_VERSION, featureGroups };
}
