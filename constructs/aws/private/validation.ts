import { Token } from 'aws-cdk-lib';
import { renderValue, ValidationIssue } from '../../../lib/errors';
import { registerTokenDetector } from '../../../lib/spec';

// On AWS, deploy-time values are CDK tokens: validation skips them (DESIGN.md, Errors).
const isToken = (value: unknown): boolean => (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) && Token.isUnresolved(value);
registerTokenDetector(isToken);

export { parseProps, subjectOf } from '../../private/props';

/** What a service accepts as the name of a resource a construct creates, from its API reference. */
interface NameRule {
  /** `a SageMaker endpoint name` */
  readonly what: string;
  readonly pattern: RegExp;
  readonly maxLength: number;
  readonly rule: string;
}

const SAGEMAKER_63 = { pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, maxLength: 63, rule: '1-63 letters, digits and hyphens, starting and ending with a letter or digit' };

/**
 * The physical names users give in construct props: CreateEndpoint's EndpointName and
 * CreateInferenceComponent's InferenceComponentName (63, `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`),
 * CreatePipeline's PipelineName (256, `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}`; 255 here), PutDashboard's
 * DashboardName (255: letters, digits, `-` and `_`).
 */
export const PHYSICAL_NAMES = {
  endpoint: { what: 'a SageMaker endpoint name', ...SAGEMAKER_63 },
  inferenceComponent: { what: 'a SageMaker inference component name', ...SAGEMAKER_63 },
  // SageMaker takes 256, but the pipeline's metrics carry the name as a CloudWatch dimension value, which stops at 255.
  pipeline: { what: 'a SageMaker pipeline name', pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,254}$/, maxLength: 255, rule: '1-255 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker takes 256; the PipelineName metric dimension the alarms use, 255)' },
  dashboard: { what: 'a CloudWatch dashboard name', pattern: /^[a-zA-Z0-9_-]{1,255}$/, maxLength: 255, rule: '1-255 letters, digits, hyphens and underscores' },
} satisfies Record<string, NameRule>;

/** The issue of a user-given physical name the service would refuse at deploy; nothing for a valid name or an unresolved token. */
export function physicalNameIssue(field: string, name: string | undefined, kind: keyof typeof PHYSICAL_NAMES): ValidationIssue | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  const rule: NameRule = PHYSICAL_NAMES[kind];
  if (rule.pattern.test(name)) return undefined;
  const tooLong = name.length > rule.maxLength;
  return {
    path: field,
    message: tooLong ? `is too long for ${rule.what} (at most ${rule.maxLength} characters)` : `is not ${rule.what}`,
    got: `${renderValue(name)} (${name.length} characters)`,
    expected: rule.rule,
  };
}
