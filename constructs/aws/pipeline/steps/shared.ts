/** What several step families share: checks of job sizes and the volume key rule. Not exported from the package. */
import { Token } from 'aws-cdk-lib';
import { renderValue, ValidationIssue } from '../../../../lib/errors';
import { lookupInstanceType, suggestInstanceTypes } from '../../../../lib/catalog';
import { StepRenderContext } from './base';

/** Volume key for an instance type: SageMaker rejects one on local NVMe instance storage (hardware-encrypted). */
export function volumeKmsKeyId(instanceType: string, ctx: StepRenderContext): string | undefined {
  if (Token.isUnresolved(instanceType)) return undefined;
  return lookupInstanceType(instanceType)?.localNvmeStorage ? undefined : ctx.kmsKeyArn;
}

export function instanceTypeIssues(path: string, instanceType: string, use: 'training' | 'processing' | 'inference'): ValidationIssue[] {
  if (Token.isUnresolved(instanceType)) return [];
  const info = lookupInstanceType(instanceType);
  if (!info) {
    const s = suggestInstanceTypes(instanceType);
    return [{ path, message: s.length > 0 ? `is not a SageMaker instance type; did you mean '${s[0]}'?` : 'is not a SageMaker instance type', got: renderValue(instanceType), expected: `a SageMaker instance type offered for ${use}` }];
  }
  if (!info.uses.includes(use)) return [{ path, message: `is not offered for ${use}`, got: renderValue(instanceType), expected: `a type SageMaker offers for ${use}` }];
  return [];
}

export function positiveInt(path: string, value: number | undefined, min: number, max: number): ValidationIssue[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return Number.isInteger(value) && value >= min && value <= max ? [] : [{ path, message: 'is out of range', got: renderValue(value), expected: `a whole number in [${min}, ${max}]` }];
}

export function nonEmpty<T extends Record<string, unknown>>(record: T | undefined): T | undefined {
  return record && Object.keys(record).length > 0 ? record : undefined;
}
