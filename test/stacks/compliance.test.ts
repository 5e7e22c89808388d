import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgments, readCloudAssembly, SynthesizedAssembly, unacknowledgedFindings } from '../../lib/governance';
import { addCompliancePacks } from '../../stacks/aws/compliance';
import { synthAwsPlatform } from '../../stacks/aws/synth';
import { referencePlatform } from '../../stacks/reference-platform';
import { withCloudFormationValidation } from '../cloudformation-validation';

describe('reference platform (strict governance) against cdk-nag AwsSolutions, NIST 800-53 R5, HIPAA Security and the MLOps pack', () => {
  let dir: string;
  let assembly: SynthesizedAssembly;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-nag-'));
    // With aws-cdk-lib's CloudFormation validation on (the suite turns it off elsewhere).
    withCloudFormationValidation(() => synthAwsPlatform(referencePlatform, dir)); // throws when a pack reports an unacknowledged error
    assembly = readCloudAssembly(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has zero unacknowledged findings, errors or warnings, from the four packs and from CloudFormation validation', () => {
    expect(unacknowledgedFindings(assembly)).toEqual([]);
  });

  it('would see a CloudFormation validation finding (validation is on for the reference synth, off for the rest of the suite)', () => {
    const synthBad = () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cfn-validate-'));
      const app = new App({ outdir });
      new CfnResource(new Stack(app, 'Bad'), 'Bucket', { type: 'AWS::S3::Bucket', properties: { BucketNameTypo: 'x' } });
      app.synth();
      const findings = unacknowledgedFindings(readCloudAssembly(outdir));
      fs.rmSync(outdir, { recursive: true, force: true });
      return findings.map((f) => `${f.plugin} ${f.rule} ${f.constructPaths.join()}`);
    };
    expect(withCloudFormationValidation(synthBad)).toEqual(['CloudFormation Validate F3002 Bad/Bucket']);
    expect(synthBad()).toEqual([]);
  });

  it('writes every acknowledgment into the template metadata with a specific reason', () => {
    const acks = acknowledgments(assembly);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThanOrEqual(60);
      expect(ack.reason).not.toMatch(/historical reasons|not needed|false positive|^n\/?a$/i);
    }
    // Wildcard acknowledgments name the exact finding, never the whole rule.
    const wildcards = acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
    expect(wildcards.length).toBeGreaterThan(0);
    expect(wildcards.filter((a) => !/^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/.test(a.id))).toEqual([]);
  });

  it('acknowledges the volume key only where SageMaker forbids it: the NVMe GPU instance', () => {
    const sm2 = acknowledgments(assembly).filter((a) => a.id === 'AwsSolutions-SM2').map((a) => a.stack).sort();
    // The support assistant serves in its two delivery stages.
    expect(sm2).toEqual(['mlops-reference-support-assistant-prod', 'mlops-reference-support-assistant-staging']);
  });

  it('runs every model in the platform VPC, network-isolated, at the strict level', () => {
    const models = assembly.stacks.flatMap((s) => Object.values(s.resources).filter((r) => r.Type === 'AWS::SageMaker::Model'));
    // churn, ticket-router, and the support assistant in staging and prod.
    expect(models).toHaveLength(4);
    for (const m of models) {
      expect(m.Properties?.EnableNetworkIsolation).toBe(true);
      expect(m.Properties?.VpcConfig).toEqual({ SecurityGroupIds: [expect.anything()], Subnets: [expect.anything(), expect.anything()] });
    }
    const acksOfMlops = acknowledgments(assembly).filter((a) => a.id.startsWith('MLOps-'));
    expect(acksOfMlops).toEqual([]);
  });

  it('fails synth on a real problem (the packs are not a formality)', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-nag-bad-')) });
    const stack = new Stack(app, 'Bad');
    new s3.Bucket(stack, 'Plain', { removalPolicy: RemovalPolicy.RETAIN });
    addCompliancePacks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|S3BucketLoggingEnabled/);
    fs.rmSync(app.outdir, { recursive: true, force: true });
  });
});
