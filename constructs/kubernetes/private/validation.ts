import { Token } from 'cdktf';
import { registerTokenDetector } from '../../../lib/spec';

// On Kubernetes, deploy-time values are cdktf tokens (Terraform references): validation skips
// them (DESIGN.md, Errors). The AWS target registers CDK's detector the same way.
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

export { parseProps, subjectOf } from '../../private/props';
