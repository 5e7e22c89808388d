/**
 * The audit report's model cards, read from the synthesized output of both targets: each card's
 * purpose, risk rating, owner and status, models deployed without one flagged, in report.json,
 * report.md and report.html (checked in headless Chromium); and `mlops audit diff`'s card changes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AuditReport, buildAuditReport, buildKubernetesAudit, governanceDiff, mergeAuditReports, modelCardChanges, readCloudAssembly, renderGovernanceDiff, renderMarkdown, writeAuditReport } from '../../../lib/governance';
import { PlatformSpecInput, RiskRating } from '../../../lib/spec';
import { synthAwsPlatform } from '../../../stacks/aws/synth';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { inChromium } from './helpers';

const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const CARD = { owner: 'retention@example.com', purpose: 'Scores churn.', intendedUses: 'Retention offers.', outOfScopeUses: 'Credit decisions.', riskRating: 'Medium' as RiskRating };

function spec(card: Partial<typeof CARD> & Record<string, unknown> = {}): PlatformSpecInput {
  return {
    name: 'cards',
    aws: { region: 'us-east-1' },
    kubernetes: { registry: { mlflowImage: 'ghcr.io/cdk-mlops/mlflow-postgres:2.22.1' } },
    targets: ['aws', 'kubernetes'],
    models: [
      { name: 'churn', registry: {}, source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: 'ghcr.io/acme/churn:1' } }, card: { ...CARD, ...card } },
      { name: 'router', source: { image: IMAGE }, endpoint: { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: 'ghcr.io/acme/router:1' } } },
    ],
  };
}

describe('model cards in the audit report', () => {
  let dir: string;
  let report: AuditReport;
  let html: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cards-'));
    synthAwsPlatform(spec(), path.join(dir, 'cdk.out'));
    synthKubernetesPlatform(spec(), path.join(dir, 'cdktf.out'));
    report = mergeAuditReports(buildAuditReport(path.join(dir, 'cdk.out')), buildKubernetesAudit(path.join(dir, 'cdktf.out')));
    html = writeAuditReport(report, path.join(dir, 'audit')).html;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists every card on both targets, and flags the model without one on each', () => {
    const entries = report.modelCards.map((c) => [c.target, c.model, c.hasCard, c.riskRating, c.owner, c.status]);
    expect(entries).toEqual([
      ['aws-cloudformation', 'churn', true, 'Medium', CARD.owner, 'Draft'],
      ['aws-cloudformation', 'router', false, undefined, undefined, undefined],
      ['kubernetes-terraform', 'churn', true, 'Medium', CARD.owner, 'Draft'],
      ['kubernetes-terraform', 'router', false, undefined, undefined, undefined],
    ]);
    const [aws, , k8s] = report.modelCards;
    expect(aws).toMatchObject({ purpose: CARD.purpose, intendedUses: CARD.intendedUses, outOfScopeUses: CARD.outOfScopeUses, encryption: 'customer-managed KMS key', name: expect.stringMatching(/^churn-[0-9a-f]{8}$/) });
    expect(k8s).toMatchObject({ purpose: CARD.purpose, name: 'cards/churn-model-card' });
    // The same card on both targets, as SageMaker's model card JSON.
    expect(k8s.content!.intended_uses).toEqual(aws.content!.intended_uses);
  });

  it('writes a Model cards section in Markdown with the purpose, risk rating, owner and status, and NO CARD for the model without one', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('## Model cards');
    expect(md).toContain(`| churn | AWS | Medium | ${CARD.purpose} | ${CARD.owner} | Draft |`);
    expect(md).toContain('| router | Kubernetes | **NO CARD** | - | - | - |');
  });

  it('renders the Model cards section in headless Chromium, the missing cards flagged', async () => {
    await inChromium(html, async (page) => {
      await expect(page.locator('nav a[href="#model-cards"]').isVisible()).resolves.toBe(true);
      const missing = page.locator('#model-cards tr.missing-card');
      await expect(missing.count()).resolves.toBe(2);
      await expect(missing.first().innerText()).resolves.toMatch(/router\tAWS\tNO CARD\tThis model is deployed without a model card\./);
      const churn = page.locator('#model-cards tr', { hasText: 'churn' }).first();
      await expect(churn.innerText()).resolves.toMatch(/churn\tAWS\tMedium\tScores churn\.\nNot for: Credit decisions\.\tretention@example\.com\tDraft/);
    });
  });

  it('diffs card changes: a raised risk rating blocks, other fields are listed, a removed card blocks', () => {
    synthAwsPlatform(spec({ riskRating: 'High', purpose: 'Scores churn and upsell.', status: 'PendingReview' }), path.join(dir, 'cdk.out.new'));
    const diff = governanceDiff(readCloudAssembly(path.join(dir, 'cdk.out')), readCloudAssembly(path.join(dir, 'cdk.out.new')));
    const cards = diff.changes.filter((c) => c.type === 'AWS::SageMaker::ModelCard');
    expect(cards.map((c) => [c.kind, c.blocking])).toEqual([['risk-raised', true], ['card-changed', false]]);
    expect(cards[0].detail).toBe("model churn's risk rating rises from Medium to High");
    expect(cards[1].detail).toBe("model churn's card changes: status: Draft → PendingReview; intended_uses.purpose_of_model: \"Scores churn.\" → \"Scores churn and upsell.\"");
    expect(renderGovernanceDiff(diff)).toMatch(/✖ Model risk rating raised: cards-churn\/\w+ \(AWS::SageMaker::ModelCard\)/);
    const removed = modelCardChanges(report, { modelCards: report.modelCards.filter((c) => !(c.model === 'churn' && c.target === 'aws-cloudformation')) });
    expect(removed).toEqual([expect.objectContaining({ kind: 'card-removed', blocking: true, detail: 'the card of model churn is removed' })]);
    // Lowering a rating is listed, not blocking.
    const lowered = modelCardChanges({ modelCards: [{ ...report.modelCards[0], riskRating: 'High' }] }, { modelCards: [report.modelCards[0]] });
    expect(lowered).toEqual([expect.objectContaining({ kind: 'card-changed', blocking: false, detail: expect.stringContaining('risk rating lowered: High → Medium') })]);
  });
});
