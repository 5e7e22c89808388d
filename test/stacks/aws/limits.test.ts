/**
 * Service limits at the largest platform the README claims: 1,000 models (the benchmark's platform,
 * bench/platform-spec.ts), synthesized once. Sizes are measured on the templates with every
 * intrinsic resolved (a real account and region), as AWS measures them once deployed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { benchPlatform } from '../../../bench/platform-spec';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { CfnResolver } from './cfn-resolve';

const MODELS = 1000;
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true, '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, '@aws-cdk/core:defaultCrossStackReferences': 'strong' };

/** AWS's limits (IAM, S3, KMS, CloudFormation, SageMaker quotas pages). */
const LIMITS = {
  bucketPolicyBytes: 20 * 1024,
  managedPolicyChars: 6144,
  inlinePoliciesPerRoleChars: 10240,
  keyPolicyBytes: 32 * 1024,
  templateBytes: 1024 * 1024,
  resourcesPerStack: 500,
  outputsPerStack: 200,
  sageMakerName: 63,
  pipelineDefinitionBytes: 1024 * 1024,
  dashboardWidgets: 500,
  searchQueryChars: 1024,
};

/** SageMaker name properties, by resource type. */
const SAGEMAKER_NAMES: Record<string, string[]> = {
  'AWS::SageMaker::Endpoint': ['EndpointName'],
  'AWS::SageMaker::EndpointConfig': ['EndpointConfigName'],
  'AWS::SageMaker::Model': ['ModelName'],
  'AWS::SageMaker::Pipeline': ['PipelineName'],
  'AWS::SageMaker::ModelPackageGroup': ['ModelPackageGroupName'],
  'AWS::SageMaker::MonitoringSchedule': ['MonitoringScheduleName'],
  'AWS::SageMaker::DataQualityJobDefinition': ['JobDefinitionName'],
  'AWS::SageMaker::ModelQualityJobDefinition': ['JobDefinitionName'],
  'AWS::SageMaker::FeatureGroup': ['FeatureGroupName'],
};

const bytes = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
/** IAM counts policy characters without whitespace. */
const iamChars = (value: unknown) => JSON.stringify(value).replace(/\s/g, '').length;

describe(`a platform of ${MODELS} models`, () => {
  let outdir: string;
  let resolver: CfnResolver;
  let templateSizes: Map<string, number>;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-limits-'));
    // The built-in CloudFormation schema validation is left to the smaller syntheses of other tests:
    // at this size it would be two thirds of the synthesis time. No tree.json either (the construct
    // tree for tools, a tenth of the time): what is measured is the templates.
    const app = new App({ outdir, context: CONTEXT, builtinCloudFormationValidation: false, treeMetadata: false });
    const spec = benchPlatform(MODELS);
    new AwsPlatform(app, 'Platform', { spec: { ...spec, aws: { ...spec.aws, account: '111122223333' } } });
    const assembly = app.synth();
    templateSizes = new Map(assembly.stacks.map((s) => [s.stackName, fs.statSync(path.join(outdir, s.templateFile)).size]));
    resolver = new CfnResolver(assembly.stacks.map((s) => ({ stackName: s.stackName, template: s.template })), { account: '111122223333', region: 'us-east-1' });
  }, 600_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  /** The largest value of `measure` over the resources of `type`, with where it is. */
  function largest(type: string, measure: (properties: Record<string, unknown>) => number): { size: number; where: string } {
    const all = resolver.resourcesOfType(type).map((r) => ({ size: measure(r.properties), where: `${r.stackName}/${r.logicalId}` }));
    if (all.length === 0) throw new Error(`no ${type} in the platform`);
    return all.reduce((a, b) => (b.size > a.size ? b : a));
  }

  it('has a stack per model, plus the shared stack', () => {
    expect(resolver.stackNames).toHaveLength(MODELS + 1);
  });

  it("keeps every bucket policy within S3's 20 KB, the access-log bucket's included", () => {
    expect(largest('AWS::S3::BucketPolicy', (p) => bytes(p.PolicyDocument)).size).toBeLessThanOrEqual(LIMITS.bucketPolicyBytes);
    const accessLogs = resolver.resourcesOfType('AWS::S3::BucketPolicy').find((p) => p.logicalId.startsWith('AccessLogsPolicy') && p.stackName === 'bench-shared');
    expect(bytes(accessLogs?.properties.PolicyDocument)).toBeLessThan(2048);
  });

  it("keeps every managed policy within IAM's 6,144 characters", () => {
    expect(largest('AWS::IAM::ManagedPolicy', (p) => iamChars(p.PolicyDocument)).size).toBeLessThanOrEqual(LIMITS.managedPolicyChars);
  });

  it("keeps every role's inline policies within IAM's 10,240 characters", () => {
    const perRole = new Map<string, number>();
    for (const p of resolver.resourcesOfType('AWS::IAM::Policy')) {
      for (const role of p.properties.Roles as string[]) perRole.set(role, (perRole.get(role) ?? 0) + iamChars(p.properties.PolicyDocument));
    }
    for (const r of resolver.resourcesOfType('AWS::IAM::Role')) {
      const name = resolver.physicalName(r.stackName, r.logicalId);
      for (const p of (r.properties.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) perRole.set(name, (perRole.get(name) ?? 0) + iamChars(p.PolicyDocument));
    }
    expect(Math.max(0, ...perRole.values())).toBeLessThanOrEqual(LIMITS.inlinePoliciesPerRoleChars);
  });

  it("keeps every key policy within KMS's 32 KB", () => {
    expect(largest('AWS::KMS::Key', (p) => bytes(p.KeyPolicy)).size).toBeLessThanOrEqual(LIMITS.keyPolicyBytes);
  });

  it("keeps every template within CloudFormation's 1 MB, 500 resources and 200 outputs", () => {
    expect(Math.max(...templateSizes.values())).toBeLessThanOrEqual(LIMITS.templateBytes);
    const counts = resolver.stackNames.map((s) => ({ resources: Object.keys(resolver.template(s).Resources ?? {}).length, outputs: Object.keys(resolver.template(s).Outputs ?? {}).length }));
    expect(Math.max(...counts.map((c) => c.resources))).toBeLessThanOrEqual(LIMITS.resourcesPerStack);
    expect(Math.max(...counts.map((c) => c.outputs))).toBeLessThanOrEqual(LIMITS.outputsPerStack);
  });

  it("keeps every SageMaker name within SageMaker's 63 characters", () => {
    const names = Object.entries(SAGEMAKER_NAMES).flatMap(([type, props]) => resolver.resourcesOfType(type).flatMap((r) => props.map((p) => r.properties[p]).filter((n): n is string => typeof n === 'string')));
    // Endpoints, registries, pipelines: the names the templates set (models and endpoint configs are named by CloudFormation).
    expect(names.length).toBeGreaterThanOrEqual(MODELS * 2);
    expect(names.filter((n) => n.length > LIMITS.sageMakerName)).toEqual([]);
  });

  it('renders one platform dashboard in the shared stack, within 500 widgets and 1,024-character searches, importing nothing', () => {
    const dashboards = resolver.resourcesOfType('AWS::CloudWatch::Dashboard').filter((d) => d.stackName === 'bench-shared');
    expect(dashboards).toHaveLength(1);
    const raw = JSON.stringify(resolver.template('bench-shared').Resources);
    expect(raw).not.toContain('Fn::ImportValue');
    const body = dashboards[0].properties.DashboardBody as string;
    const widgets = JSON.parse(body).widgets as { properties: { metrics?: [{ expression?: string }][] } }[];
    expect(widgets.length).toBeLessThanOrEqual(LIMITS.dashboardWidgets);
    const queries = widgets.flatMap((w) => (w.properties.metrics ?? []).flatMap((m) => [...(m[0].expression ?? '').matchAll(/SEARCH\('(.*?)', '/g)].map((q) => q[1])));
    expect(queries.length).toBeGreaterThan(0);
    expect(Math.max(...queries.map((q) => q.length))).toBeLessThanOrEqual(LIMITS.searchQueryChars);
    expect(Buffer.byteLength(body)).toBeLessThan(16 * 1024);
  });

  it("keeps every pipeline definition within SageMaker's 1 MB", () => {
    expect(largest('AWS::SageMaker::Pipeline', (p) => bytes((p.PipelineDefinition as { PipelineDefinitionBody: string }).PipelineDefinitionBody)).size).toBeLessThanOrEqual(LIMITS.pipelineDefinitionBytes);
  });
});
