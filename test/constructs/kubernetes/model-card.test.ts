import { Construct } from 'constructs';
import { MlflowServer, ModelCard, ModelCardProps, ModelRegistry } from '../../../constructs/kubernetes';
import { expectValidationError, Json, ofKind, synth, validateAll } from './helpers';
import { violations } from './pod-security';

const MLFLOW = 'ghcr.io/acme/mlflow-postgres:2.22.1';
const CARD = {
  owner: 'retention-analytics@example.com',
  purpose: 'Scores how likely a subscriber is to cancel.',
  intendedUses: 'Prioritizing retention offers.',
  outOfScopeUses: 'Credit decisions.',
  riskRating: 'Medium' as const,
  evaluation: { observations: 'AUC on the test split.' },
  ethicalConsiderations: 'Tenure correlates with age.',
};

function build(scope: Construct, props: Partial<ModelCardProps> = {}, withRegistry = true): ModelCard {
  const registry = withRegistry ? new ModelRegistry(scope, 'Registry', { namespace: 'ml', partOf: 'platform', mlflowImage: MLFLOW, name: 'churn' }) : undefined;
  return new ModelCard(scope, 'Card', {
    ...CARD, namespace: 'ml', partOf: 'platform', name: 'churn',
    registry: registry ? { registeredModelName: registry.registeredModelName, server: registry.server, image: MLFLOW } : undefined,
    ...props,
  });
}

describe('ModelCard (Kubernetes)', () => {
  let tf: ReturnType<typeof synth>['tf'];
  let card: ModelCard;
  let server: MlflowServer;
  beforeAll(() => {
    ({ tf } = synth((scope) => { card = build(scope); server = (scope.node.findChild('Registry') as ModelRegistry).server; }));
  });

  it('holds the card as Markdown, model card JSON and MLflow tags in a labelled ConfigMap, every object valid', () => {
    expect(validateAll(tf)).toBeGreaterThan(0);
    const [cm] = ofKind(tf, 'ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'churn-model-card', namespace: 'ml', labels: { 'mlops.cdk.io/model-card': 'churn' }, annotations: { 'mlops.cdk.io/model-card-risk-rating': 'Medium', 'mlops.cdk.io/model-card-status': 'Draft' } });
    const data = cm.data as Record<string, string>;
    expect(data['card.md']).toContain('# Model card: churn');
    expect(data['card.md']).toContain('- **Risk rating:** Medium');
    expect(data['card.md']).toContain('**Out of scope:** Credit decisions.');
    expect(JSON.parse(data['card.json'])).toMatchObject({ model_overview: { model_owner: CARD.owner }, intended_uses: { risk_rating: 'Medium' }, evaluation_details: [{ name: 'evaluation', evaluation_observation: 'AUC on the test split.' }] });
    expect(JSON.parse(data['tags.json'])).toEqual(card.tags);
  });

  it("writes the card as model_card.* tags within MLflow's limits (keys 250, values 5,000 characters)", () => {
    expect(card.tags).toMatchObject({
      'model_card.status': 'Draft',
      'model_card.model_overview.model_owner': CARD.owner,
      'model_card.intended_uses.purpose_of_model': CARD.purpose,
      'model_card.intended_uses.risk_rating': 'Medium',
      'model_card.additional_information.custom_details.out_of_scope_uses': 'Credit decisions.',
      'model_card.additional_information.ethical_considerations': CARD.ethicalConsiderations,
      'model_card.evaluation_details.evaluation_observation': 'AUC on the test split.',
    });
    const longest = synth((scope) => { expect(build(scope, { purpose: 'x'.repeat(2048), evaluation: { observations: 'y'.repeat(2096) } }, false).tags['model_card.intended_uses.purpose_of_model']).toHaveLength(2048); });
    expect(longest).toBeDefined();
    for (const [k, v] of Object.entries(card.tags)) expect([k, k.length <= 250 && v.length <= 5000]).toEqual([k, true]);
  });

  it("sets the tags on the registered model with a restricted Job the tracking server's NetworkPolicy admits", () => {
    const [job] = ofKind(tf, 'Job');
    const pod = ((job.spec as Json).template as Json);
    expect(violations({ name: 'card job', spec: pod.spec as Json })).toEqual([]);
    const labels = (pod.metadata as Json).labels as Record<string, string>;
    expect(labels).toMatchObject(server.clientLabels);
    const container = ((pod.spec as Json).containers as Json[])[0];
    expect(container).toMatchObject({ image: MLFLOW, command: ['python', '-c', expect.stringContaining('set_registered_model_tag')] });
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'MLFLOW_TRACKING_URI', value: 'http://mlflow:5000' }, { name: 'REGISTERED_MODEL', value: 'churn' }]));
    const script = (container.command as string[])[2];
    expect(script).toContain('create_registered_model(name)');
    expect(script).toContain('RESOURCE_ALREADY_EXISTS');
    expect(script).toContain('delete_registered_model_tag');
    // Its own egress to the server's port; the server admits its client label.
    const policies = ofKind(tf, 'NetworkPolicy');
    const own = policies.find((p) => p.metadata.name === 'churn-card')!;
    expect(own.spec).toMatchObject({ podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'churn-card' }) }, egress: [{ to: [{ podSelector: { matchLabels: server.selector } }], ports: [{ port: 5000, protocol: 'TCP' }] }] });
    const serverPolicy = policies.find((p) => p.metadata.name === 'mlflow')!;
    expect(((serverPolicy.spec as Json).ingress as Json[])[0]).toMatchObject({ from: [{ podSelector: { matchLabels: server.clientLabels } }] });
  });

  it('names the Job after the tags, so a changed card runs a new Job and an unchanged one does not', () => {
    const name = (s: Partial<ModelCardProps>) => ofKind(synth((scope) => { build(scope, s); }).tf, 'Job')[0].metadata.name as string;
    const before = ofKind(tf, 'Job')[0].metadata.name as string;
    expect(before).toMatch(/^churn-card-[0-9a-f]{8}$/);
    expect(name({})).toBe(before);
    expect(name({ riskRating: 'High' })).not.toBe(before);
  });

  it('renders only the ConfigMap for a model without a registry', () => {
    const { tf: bare } = synth((scope) => { build(scope, {}, false); });
    expect(Object.keys(bare.resource)).toEqual(['kubernetes_config_map_v1']);
  });

  it('rejects a name too long for the objects derived from it, and a card field beyond the schema limit', () => {
    synth((scope) => {
      expectValidationError(() => build(scope, { name: 'x'.repeat(49) }, false), 'ModelCard', { path: 'name' });
    });
    synth((scope) => {
      expectValidationError(() => build(scope, { riskRating: 'Severe' as never }, false), 'ModelCard', { path: 'riskRating' });
    });
  });
});
