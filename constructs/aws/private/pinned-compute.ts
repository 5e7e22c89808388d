/**
 * An instance type resolved from a compute intent (`{ accelerator: { type, count } }`) is pinned the
 * way CDK pins lookups in cdk.context.json: a context value, once recorded, wins over the catalog,
 * so a catalog update never changes a deployed type silently (a new type replaces the endpoint
 * config, and SageMaker refuses it on an autoscaled variant until the scalable target is gone).
 */
import { Annotations, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { InstanceUse, lookupInstanceType } from '../../../lib/catalog';
import { MlopsValidationError, renderValue } from '../../../lib/errors';
import { ResolvedCompute } from '../../../lib/spec';
import { subjectOf } from './validation';

/** The context key that pins the instance type of the construct at `path`. */
export function pinnedInstanceTypeKey(path: string): string {
  return `cdk-mlops:instanceType:${path}`;
}

/** True when the compute input is an intent resolved through the catalog (not an explicit type, not serverless). */
export function isComputeIntent(input: unknown): boolean {
  const c = input as { accelerator?: unknown; memoryGiB?: unknown; vCpus?: unknown } | undefined;
  return c !== undefined && (c.accelerator !== undefined || c.memoryGiB !== undefined || c.vCpus !== undefined);
}

/**
 * The compute to render for `construct`: the pinned type when the context has one (with a warning
 * when the catalog now resolves another), else the catalog's, with a warning saying how to pin it.
 */
export function pinResolvedCompute(kind: string, construct: IConstruct, resolved: ResolvedCompute, use: InstanceUse): ResolvedCompute {
  if (resolved.kind !== 'instance' || Token.isUnresolved(resolved.instanceType)) return resolved;
  const key = pinnedInstanceTypeKey(construct.node.path);
  const pinned: unknown = construct.node.tryGetContext(key);
  if (pinned === undefined) {
    Annotations.of(construct).addWarningV2('cdk-mlops:instanceTypeNotPinned', `The compute intent resolves to ${resolved.instanceType} with this version of the cdk-mlops catalog. Pin it so a catalog update cannot change it: add "${key}": "${resolved.instanceType}" to the context in cdk.json (or cdk.context.json).`);
    return resolved;
  }
  const info = typeof pinned === 'string' ? lookupInstanceType(pinned) : undefined;
  if (!info || !info.uses.includes(use)) {
    throw new MlopsValidationError(subjectOf(kind, construct.node.scope!, construct.node.id), [{
      path: 'compute', message: `is pinned by the context key '${key}' to a type that is not offered for ${use}`, got: renderValue(pinned), expected: `a SageMaker ${use} instance type such as '${resolved.instanceType}' (what the catalog resolves now)`,
    }]);
  }
  if (info.name !== resolved.instanceType) {
    Annotations.of(construct).addWarningV2('cdk-mlops:instanceTypeCatalogChanged', `The compute intent now resolves to ${resolved.instanceType}; the type pinned by the context key "${key}", ${info.name}, is kept. Change the pinned value to move (the endpoint config is replaced).`);
  }
  return { kind: 'instance', instanceType: info.name, info };
}
