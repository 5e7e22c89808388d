import { Token } from 'aws-cdk-lib';
import { registerTokenDetector } from '../../../lib/spec';

// On AWS, deploy-time values are CDK tokens: validation skips them (DESIGN.md, Errors).
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

export { parseProps, subjectOf } from '../../private/props';
