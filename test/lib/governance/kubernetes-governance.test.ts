/**
 * The Kubernetes target's governance in the audit report: the level, required tags and acknowledged
 * findings the platform writes into its Terraform JSON, read back by `mlops audit` (JSON, Markdown,
 * HTML in headless Chromium) and compared by `mlops audit diff`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { writeAudit } from '../../../bin/commands/audit';
import { main } from '../../../bin/mlops';
import { MlopsValidationError } from '../../../lib/errors';
import {
  buildAuditReport, buildKubernetesAudit, GOVERNANCE_METADATA_KEY, governanceDiff, KUBERNETES_RULES, kubernetesGovernanceDiff, mergeAuditReports, renderGovernanceDiff, renderHtml, renderMarkdown,
} from '../../../lib/governance';
import { PlatformSpecInput } from '../../../lib/spec';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { referencePlatform } from '../../../stacks/reference-platform';
import { thrownBy } from '../../thrown';
import { inChromium, writeCdktfOut } from './helpers';

let root: string;
let cdkOut: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-k8s-governance-'));
  cdkOut = path.join(root, 'cdk.out');
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-path-metadata': true } });
  new iam.Role(new Stack(app, 'Small'), 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  app.synth();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes a one-stack cdktf output with these resources and this governance in its `//` block. */
function cdktfOut(name: string, resource: Record<string, Record<string, unknown>>, governance?: unknown): string {
  return writeCdktfOut(root, name, resource, { metadata: { stackName: 'app' }, ...(governance ? { [GOVERNANCE_METADATA_KEY]: governance } : {}) });
}

const NS_PATH = 'mlops-reference/Namespace/Resource';
const REASON = 'The namespace is labelled by the cluster admission webhook, which enforces restricted on every namespace.';
const withAcks = (acknowledgements: unknown[], governance: Record<string, unknown> = {}): PlatformSpecInput => ({ ...referencePlatform, governance: { ...referencePlatform.governance, ...governance, acknowledgements } } as PlatformSpecInput);

/** The `//` block of each stack of a cdktf output, by stack name. */
function comments(dir: string): Record<string, Record<string, unknown>> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { stacks: Record<string, { name: string; synthesizedStackPath: string }> };
  return Object.fromEntries(Object.values(manifest.stacks).map((s) => [s.name, JSON.parse(fs.readFileSync(path.join(dir, s.synthesizedStackPath), 'utf8'))['//']]));
}

describe('the Kubernetes target writes its governance into the Terraform JSON', () => {
  let strictOut: string;
  beforeAll(() => {
    strictOut = path.join(root, 'strict');
    synthKubernetesPlatform(withAcks([{ rule: KUBERNETES_RULES.podSecurity.id, path: NS_PATH, reason: REASON }]), strictOut);
  });

  it("writes the level, required tags and each acknowledgement in the `//` block of its object's stack only", () => {
    const blocks = comments(strictOut);
    expect(blocks['mlops-reference'][GOVERNANCE_METADATA_KEY]).toEqual({
      level: 'strict', requiredTags: ['owner', 'cost-center', 'data-classification'],
      acknowledgements: [{ rule: 'Kubernetes-PodSecurityRestricted', path: NS_PATH, reason: REASON }],
    });
    expect(blocks['mlops-reference-crds'][GOVERNANCE_METADATA_KEY]).toMatchObject({ level: 'strict', acknowledgements: [] });
  });

  it('reads the level and the namespace tags back, and keeps an acknowledgement whose finding does not occur as a record', () => {
    const audit = buildKubernetesAudit(strictOut);
    expect(audit.governance).toEqual({ level: 'strict', requiredTags: ['owner', 'cost-center', 'data-classification'] });
    expect(audit.tags).toMatchObject({ checked: 1, compliant: 1, missing: [] });
    expect(audit.findings).toEqual([expect.objectContaining({ rule: 'Kubernetes-PodSecurityRestricted', status: 'acknowledged', reason: REASON, logicalId: expect.stringMatching(/^kubernetes_namespace_v1\./), constructPath: NS_PATH })]);
  });

  it('reads a baseline level back, and the merged report is only as strict as its weaker target', () => {
    const baselineOut = path.join(root, 'baseline');
    synthKubernetesPlatform({
      name: 'small', tags: { owner: 'team-a' }, governance: { level: 'baseline', requiredTags: ['owner'] },
      models: [{ name: 'm', source: { image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1' }, endpoint: { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: 'ghcr.io/acme/m:1.0.0' } } }],
    }, baselineOut);
    const audit = buildKubernetesAudit(baselineOut);
    expect(audit.governance).toEqual({ level: 'baseline', requiredTags: ['owner'] });
    const merged = mergeAuditReports(buildAuditReport(cdkOut), buildKubernetesAudit(strictOut));
    expect(merged.governance).toMatchObject({ level: 'strict', targets: [{ target: 'aws-cloudformation', level: 'unknown' }, { target: 'kubernetes-terraform', level: 'strict' }] });
    expect(mergeAuditReports(merged, { ...audit, targets: ['kubernetes-terraform'] }).governance.level).toBe('baseline');
  });

  it('rejects an acknowledgement of an object the output does not have, an unknown rule and an empty reason, at their spec paths', () => {
    const unknownPath = thrownBy(MlopsValidationError, () => synthKubernetesPlatform(withAcks([{ rule: KUBERNETES_RULES.nodePort.id, path: 'mlops-reference/Nope/Service', reason: REASON }]), path.join(root, 'bad-path')));
    expect(unknownPath.issues).toEqual([expect.objectContaining({ path: 'governance.acknowledgements[0].path', message: 'names no object of the Kubernetes output', got: "'mlops-reference/Nope/Service'" })]);
    const badSpec = thrownBy(MlopsValidationError, () => synthKubernetesPlatform(withAcks([{ rule: 'Kubernetes-Whatever', path: NS_PATH, reason: 'ok' }]), path.join(root, 'bad-spec')));
    expect(badSpec.issues.map((i) => i.path).sort()).toEqual(['governance.acknowledgements[0].reason', 'governance.acknowledgements[0].rule']);
    expect(badSpec.message).toContain('Kubernetes-NoNodePortService');
    expect(() => synthKubernetesPlatform(withAcks([{ rule: KUBERNETES_RULES.nodePort.id, path: NS_PATH, reason: 'ok, accepted' }]), path.join(root, 'short'))).toThrow(/governance\.acknowledgements\[0\]\.reason: .*at least 20 characters and four words/);
  });
});

const SERVICES = {
  kubernetes_namespace_v1: { ns: { '//': { metadata: { path: 'app/Namespace' } }, metadata: { name: 'team', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' }, annotations: { owner: 'team-a' } } } },
  kubernetes_network_policy_v1: { deny: { metadata: { name: 'deny', namespace: 'team' }, spec: { pod_selector: {}, policy_types: ['Ingress', 'Egress'] } } },
  kubernetes_service_v1: {
    np: { '//': { metadata: { path: 'app/Debug/Service' } }, metadata: { name: 'debug', namespace: 'team' }, spec: { type: 'NodePort', selector: { app: 'web' }, port: [{ port: 80, node_port: 30080 }] } },
    lb: { '//': { metadata: { path: 'app/Public/Service' } }, metadata: { name: 'public', namespace: 'team' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, port: [{ port: 443 }] } },
  },
};
const NODE_PORT_REASON = 'Bastion-only debug port: the nodes sit in a private subnet that only the VPN reaches.';
const STRICT = { level: 'strict', requiredTags: ['owner', 'cost-center'], acknowledgements: [{ rule: KUBERNETES_RULES.nodePort.id, path: 'app/Debug/Service', reason: NODE_PORT_REASON }] };

describe('acknowledged Kubernetes findings in the report', () => {
  let out: string;
  beforeAll(() => { out = cdktfOut('acknowledged', SERVICES, STRICT); });

  it('marks the acknowledged finding accepted with its reason and leaves the others open, in report.json', () => {
    const report = mergeAuditReports(buildAuditReport(cdkOut), buildKubernetesAudit(out));
    const k8s = report.findings.filter((f) => f.target === 'kubernetes-terraform');
    expect(k8s.map((f) => [f.rule, f.status, f.reason])).toEqual(expect.arrayContaining([
      [KUBERNETES_RULES.nodePort.id, 'acknowledged', NODE_PORT_REASON],
      [KUBERNETES_RULES.loadBalancer.id, 'open', undefined],
    ]));
    expect(report.summary.acknowledgedFindings).toBe(report.findings.filter((f) => f.status === 'acknowledged').length);
    expect(report.tags.missing).toEqual([expect.objectContaining({ target: 'kubernetes-terraform', logicalId: 'kubernetes_namespace_v1.ns', missing: ['cost-center'] })]);
  });

  it('shows the Kubernetes governance and both findings in Markdown', () => {
    const md = renderMarkdown(mergeAuditReports(buildAuditReport(cdkOut), buildKubernetesAudit(out)));
    expect(md).toContain('### Kubernetes governance and findings');
    expect(md).toContain('- **Governance level (Terraform JSON):** Strict:');
    expect(md).toContain('- **Required tags (namespace annotations):** owner, cost-center; missing on app/Namespace (cost-center)');
    expect(md).toContain(`| accepted | ${KUBERNETES_RULES.nodePort.id} | app/Debug/Service |`);
    expect(md).toContain(`| ${NODE_PORT_REASON} |`);
    expect(md).toMatch(/\| \*\*OPEN error\*\* \| Kubernetes-NoLoadBalancerService \| app\/Public\/Service \| Service team\/public is of type LoadBalancer[^|]*\| - \|/);
  });

  it('shows them in the HTML report in headless Chromium, with nothing fetched', async () => {
    const { files } = writeAudit(cdkOut, { cdktfOut: out, outDir: path.join(root, 'audit-ack-browser') });
    expect(renderHtml(JSON.parse(fs.readFileSync(files.json, 'utf8')))).toContain('id="kubernetes-governance"');
    const requests = await inChromium(files.html, async (page) => {
        const section = page.locator('#kubernetes');
        expect(await section.locator(':scope > h3').last().innerText()).toBe('Kubernetes governance and findings');
        await expect(section.locator('.card', { hasText: 'Governance level (Terraform JSON)' }).innerText()).resolves.toMatch(/Strict: .*\n?.*Required tags \(namespace annotations\): owner, cost-center missing on app\/Namespace \(cost-center\)\n?.*Open findings: 1; accepted with a reason: 1/s);
        const accepted = section.locator('tr', { hasText: 'app/Debug/Service' });
        expect((await accepted.locator('td').allInnerTexts()).map((t) => t.trim())).toEqual(['accepted', KUBERNETES_RULES.nodePort.id, 'app/Debug/Service', expect.stringMatching(/^Service team\/debug is of type NodePort/), NODE_PORT_REASON]);
        const open = section.locator('tr', { hasText: 'app/Public/Service' });
        expect(await open.locator('td').first().innerText()).toBe('OPEN error');
        expect(await open.locator('td .bad').count()).toBe(1);
    });
    expect(requests).toEqual([`file://${files.html}`]);
  });
});

describe('mlops audit diff on the Kubernetes side', () => {
  let before: string;
  beforeAll(() => { before = cdktfOut('diff-before', SERVICES, STRICT); });

  it('blocks a lowered level and a new acknowledgement; reports a changed reason and a removed acknowledgement', () => {
    const lb = { rule: KUBERNETES_RULES.loadBalancer.id, path: 'app/Public/Service', reason: 'Public inference API behind the WAF-fronted load balancer of the edge account.' };
    const after = cdktfOut('diff-after', SERVICES, { level: 'baseline', requiredTags: ['owner'], acknowledgements: [lb] });
    const changes = kubernetesGovernanceDiff(before, after);
    expect(changes.map((c) => [c.kind, c.logicalId, c.blocking])).toEqual([
      ['governance-lowered', '(stack)', true],
      ['governance-lowered', '(stack)', false],
      ['acknowledgement-added', 'kubernetes_service_v1.lb', true],
      ['acknowledgement-removed', 'kubernetes_service_v1.np', false],
    ]);
    expect(changes[0].detail).toBe('governance level strict → baseline');
    expect(changes[1].detail).toBe('no longer requires the tag(s) cost-center');
    const reworded = cdktfOut('diff-reworded', SERVICES, { ...STRICT, acknowledgements: [{ ...STRICT.acknowledgements[0], reason: 'Debug port for the on-call, reachable only through the VPN of the cluster.' }] });
    expect(kubernetesGovernanceDiff(before, reworded)).toEqual([expect.objectContaining({ kind: 'acknowledgement-changed', blocking: false, detail: expect.stringContaining(`reason was "${NODE_PORT_REASON}"`) })]);
    expect(kubernetesGovernanceDiff(before, before)).toEqual([]);
    const raised = kubernetesGovernanceDiff(cdktfOut('diff-baseline', SERVICES, { level: 'baseline', requiredTags: [], acknowledgements: [] }), cdktfOut('diff-strict', SERVICES, { level: 'strict', requiredTags: [], acknowledgements: [] }));
    expect(raised).toEqual([expect.objectContaining({ kind: 'governance-raised', blocking: false })]);
  });

  it('shows Kubernetes model card changes too: a raised risk rating blocks, as on AWS', () => {
    const withRisk = (riskRating: 'Medium' | 'High'): PlatformSpecInput => ({
      ...referencePlatform,
      models: referencePlatform.models.map((m) => (m.name === 'churn' ? { ...m, card: { ...m.card!, riskRating } } : m)),
    });
    const medium = path.join(root, 'cards-medium');
    const high = path.join(root, 'cards-high');
    synthKubernetesPlatform(withRisk('Medium'), medium);
    synthKubernetesPlatform(withRisk('High'), high);
    const cards = governanceDiff(cdkOut, cdkOut, { oldCdktfOut: medium, newCdktfOut: high }).changes.filter((c) => c.kind.startsWith('card') || c.kind === 'risk-raised');
    expect(cards).toEqual([expect.objectContaining({ kind: 'risk-raised', blocking: true, type: 'kubernetes_config_map_v1', detail: expect.stringContaining('churn') })]);
    expect(governanceDiff(cdkOut, cdkOut, { oldCdktfOut: medium, newCdktfOut: medium }).changes.filter((c) => c.kind === 'risk-raised')).toEqual([]);
  });

  it('is part of `mlops audit diff` with --old-cdktf-out and --new-cdktf-out, which go together', async () => {
    const after = cdktfOut('diff-cli-after', SERVICES, { ...STRICT, level: 'baseline' });
    const diff = governanceDiff(cdkOut, cdkOut, { oldCdktfOut: before, newCdktfOut: after });
    expect(renderGovernanceDiff(diff)).toContain('✖ Governance lowered: app/(stack): governance level strict → baseline');
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['audit', 'diff', cdkOut, cdkOut, '--old-cdktf-out', before, '--new-cdktf-out', after], (s) => err.push(s), (s) => out.push(s))).toBe(1);
    expect(out.join('\n')).toContain('Governance lowered');
    expect(await main(['audit', 'diff', cdkOut, cdkOut, '--old-cdktf-out', before, '--new-cdktf-out', before], (s) => err.push(s), (s) => out.push(s))).toBe(0);
    expect(await main(['audit', 'diff', cdkOut, cdkOut, '--old-cdktf-out', before], (s) => err.push(s), (s) => out.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/--new-cdktf-out: is required with --old-cdktf-out/);
  });
});
