/**
 * The audit report of the reference platform, built from its synthesized templates: the JSON
 * against its published schema, what it says of principals, stores, exposure, findings and tags,
 * and the HTML as a browser shows it, with nothing fetched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { auditReportJsonSchema, AuditReport, buildAuditReport, mergeAuditReports, readCloudAssembly, renderHtml, writeAuditReport } from '../../../lib/governance';
import { synthAwsPlatform } from '../../../stacks/aws/synth';
import { referencePlatform } from '../../../stacks/reference-platform';
import { inChromium } from './helpers';

const schemaFile = path.join(__dirname, '..', '..', '..', 'schemas', 'audit-report.schema.json');

describe('audit report of the reference platform', () => {
  let dir: string;
  let report: AuditReport;
  let files: { json: string; markdown: string; html: string };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-audit-'));
    synthAwsPlatform(referencePlatform, path.join(dir, 'cdk.out'));
    report = buildAuditReport(path.join(dir, 'cdk.out'), new Date('2026-01-01T00:00:00Z'));
    files = writeAuditReport(report, path.join(dir, 'cdk.out', 'audit'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const countOf = (type: string) => readCloudAssembly(path.join(dir, 'cdk.out')).stacks
    .reduce((n, s) => n + Object.values(s.resources).filter((r) => r.Type === type).length, 0);

  it('writes report.json that validates against the committed, versioned JSON Schema', () => {
    const committed = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    expect(committed).toEqual(JSON.parse(JSON.stringify(auditReportJsonSchema())));
    const body = Object.fromEntries(Object.entries(committed).filter(([k]) => k !== '$schema'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(body);
    const written = JSON.parse(fs.readFileSync(files.json, 'utf8')) as unknown;
    expect(validate.errors ?? validate(written)).toBe(true);
    expect(validate({ ...report, schemaVersion: '0.9.0' })).toBe(false);
  });

  it('reads the governance the platform wrote into its templates', () => {
    expect(report.governance).toEqual({ level: 'strict', requiredTags: ['owner', 'cost-center', 'data-classification'] });
  });

  it('lists every role with who can assume it, the construct that made it and readable statements', () => {
    // Every role in the templates: execution roles, job roles, the personas.
    expect(report.principals).toHaveLength(countOf('AWS::IAM::Role'));
    expect(report.principals.length).toBeGreaterThanOrEqual(6);
    const auditor = report.principals.find((p) => p.constructPath === 'Platform/Shared/Personas/Auditor/Resource')!;
    expect(auditor.trustedBy).toEqual([{ kind: 'account', principal: 'arn:aws:iam::111122223333:root', conditions: [] }]);
    expect(auditor.statements.find((s) => s.sid === 'NeverChangeOrReadData')?.effect).toBe('Deny');
    const churn = report.principals.find((p) => p.stack === 'mlops-reference-churn')!;
    expect(churn.constructPath).toBe('Platform/churn/Endpoint/ExecutionRole/Role/Resource');
    expect(churn.trustedBy).toEqual([{ kind: 'service', principal: 'sagemaker.amazonaws.com', conditions: [] }]);
    const capture = churn.statements.find((s) => s.actions.includes('s3:PutObject'))!;
    expect(capture.resources).toEqual([expect.stringMatching(/^EndpointDataCaptureBucket[0-9A-F]{8}\/datacapture\/\*$/)]);
    const kms = churn.statements.find((s) => s.actions.includes('kms:Decrypt') && s.conditions.length > 0)!;
    expect(kms.conditions).toContain('kms:ViaService StringEquals s3.us-east-1.amazonaws.com');
    const statements = report.principals.flatMap((p) => p.statements);
    expect(statements.length).toBeGreaterThan(20);
    expect(statements.filter((s) => s.actions.includes('*'))).toEqual([]);
  });

  it('describes every data store: key, versioning, retention, public access, TLS', () => {
    const buckets = report.dataStores.filter((d) => d.kind === 's3-bucket');
    expect(buckets.length).toBe(countOf('AWS::S3::Bucket'));
    const artifacts = buckets.find((b) => b.constructPath === 'Platform/Shared/ModelArtifacts/Resource')!;
    expect(artifacts).toMatchObject({ customerManagedKey: true, versioning: 'enabled', publicAccess: 'blocked', tlsOnly: 'enforced' });
    expect(artifacts.encryption).toMatch(/^customer-managed KMS key PlatformKey/);
    expect(artifacts.retention).toMatch(/^retained when the stack is deleted/);
    const logs = buckets.find((b) => b.constructPath === 'Platform/Shared/AccessLogs/Resource')!;
    expect(logs).toMatchObject({ customerManagedKey: false, encryption: 'SSE-S3 (S3-managed keys)' });
    const keys = report.dataStores.filter((d) => d.kind === 'kms-key');
    expect(keys).toHaveLength(countOf('AWS::KMS::Key'));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.notes.includes('automatic yearly rotation on'))).toEqual([]);
    const captures = report.dataStores.filter((d) => d.kind === 'data-capture');
    expect(captures.length).toBeGreaterThan(0);
    expect(captures.filter((d) => !d.customerManagedKey)).toEqual([]);
  });

  it('shows each endpoint in the VPC, isolated, authenticated with SigV4', () => {
    const endpoints = report.exposure.filter((e) => e.kind === 'sagemaker-endpoint');
    // churn, ticket-router and the support assistant's staging and prod endpoints.
    expect(endpoints).toHaveLength(4);
    for (const e of endpoints) {
      expect(e.vpcPlacement).toMatch(/^VPC \(subnets .+; security groups .+\)$/);
      expect(e.networkIsolation).toBe('isolated');
      expect(e.authentication).toMatch(/^AWS SigV4 \(IAM\)/);
    }
    const sgs = report.exposure.filter((e) => e.kind === 'security-group');
    expect(sgs.find((s) => s.constructPath === 'Platform/Shared/Network/EndpointsSecurityGroup/Resource')?.inbound).toEqual(['tcp 443-443 from 10.42.0.0/16']);
  });

  it('lists every finding of the four packs with its acknowledgment reason, none open', () => {
    expect(report.findings.filter((f) => f.status === 'open')).toEqual([]);
    const packs = new Set(report.findings.map((f) => f.pack));
    expect([...packs].sort()).toEqual(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5']);
    for (const f of report.findings) expect(f.reason!.length).toBeGreaterThan(40);
    expect(report.summary.acknowledgedFindings).toBe(report.findings.length);
  });

  it('reports tag compliance over every taggable resource', () => {
    expect(report.tags.checked).toBeGreaterThan(30);
    expect(report.tags.missing).toEqual([]);
    expect(report.tags.compliant).toBe(report.tags.checked);
  });

  it('merges a second target (a Kubernetes reader) beside the CloudFormation entries', () => {
    const merged = mergeAuditReports(report, {
      targets: ['kubernetes-terraform'],
      principals: [{ target: 'kubernetes-terraform', stack: 'k8s', logicalId: 'sa', kind: 'kubernetes-service-account', trustedBy: [], statements: [] }],
      dataStores: [], exposure: [], findings: [],
    });
    expect(merged.source.targets).toEqual(['aws-cloudformation', 'kubernetes-terraform']);
    expect(merged.summary.principals).toBe(report.principals.length + 1);
  });

  it('writes a Markdown report with the same sections', () => {
    const md = fs.readFileSync(files.markdown, 'utf8');
    for (const heading of ['# Audit report', '## Who can do what', '## Where data is kept', '## What is reachable', '## Rule checks', '## Tags']) expect(md).toContain(heading);
  });

  it('escapes what it prints into the HTML', () => {
    const hostile = { ...report, principals: [{ ...report.principals[0], description: '<script>alert(1)</script>' }] };
    const html = renderHtml(hostile);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('renders in headless Chromium, with nothing fetched from the network', async () => {
    const requests = await inChromium(files.html, async (page) => {
      expect(await page.locator('h1').innerText()).toBe('Audit report');
      const headings = await page.locator('h2').allInnerTexts();
      expect(headings).toEqual(['Summary', 'Who can do what', 'Where data is kept', 'What is reachable, and how callers are checked', 'Who can approve, who can deploy, and which other accounts have access', 'Model cards', 'Rule checks', 'Tags']);
      // Every model of the reference platform has a card: its risk rating, purpose and owner are shown, none is flagged.
      await expect(page.locator('#model-cards tr', { hasText: 'support-assistant' }).innerText()).resolves.toMatch(/AWS\tHigh\tDrafts answers to customer support questions.*\tsupport-ml@example\.com\tDraft/s);
      await expect(page.locator('#model-cards tr.missing-card').count()).resolves.toBe(0);
      await expect(page.getByText('Platform/churn/Endpoint/ExecutionRole/Role').first().isVisible()).resolves.toBe(true);
      const finding = page.locator('#findings tr', { hasText: 'AwsSolutions-SM2' }).first();
      await expect(finding.innerText()).resolves.toMatch(/local NVMe instance storage/);
      await expect(page.locator('#summary').innerText()).resolves.toMatch(/Strict: .*private network/);
      await expect(page.locator('#delivery h3').allInnerTexts()).resolves.toEqual(['Approving model versions', 'Deploying to each stage', 'Other AWS accounts']);
    });
    expect(requests).toEqual([`file://${files.html}`]);
  });
});
