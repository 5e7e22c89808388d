/**
 * ModelCard on Kubernetes: the same card as on AWS, as
 *  - a ConfigMap `<model>-model-card` (label `mlops.cdk.io/model-card: <model>`) holding the card as
 *    Markdown (`card.md`), as model card JSON (`card.json`, SageMaker's schema) and as the MLflow tags
 *    (`tags.json`): what people, the audit report and the Job read;
 *  - when the model has a registry, the registered model's tags in MLflow. MLflow keeps tags in its
 *    database and takes them only through its API, so a Job (`<model>-card-<hash>`, restricted,
 *    admitted by the tracking server's NetworkPolicy) creates the registered model if needed and
 *    sets the `model_card.*` tags, removing those the card no longer has. Its name changes with the
 *    tags: a changed card is a new Job, which Terraform creates in place of the finished one.
 */
import * as crypto from 'crypto';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { evaluationDetail, ModelCardSpec, modelCardMarkdown, modelCardSections, modelCardSpecSchema, ModelCardSpecInput, modelCardTags, MLFLOW_CARD_TAG_PREFIX, MODEL_CARD_LABEL, prune } from '../../lib/spec';
import { MLFLOW_PORT, MlflowServer } from './mlflow-server';
import type { QuotaReservation } from './platform-namespace';
import { newServiceAccount, restrictedPodSpec, TMP, workloadLabels } from './private/pod';
import { parseProps, subjectOf } from './private/validation';


/** The Python the Job runs with the MLflow client (the server's image has it). */
const SET_TAGS = `import json, os
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
name = os.environ["REGISTERED_MODEL"]
prefix = os.environ["TAG_PREFIX"]
client = MlflowClient()
try:
    client.create_registered_model(name)
except MlflowException as e:
    if e.error_code != "RESOURCE_ALREADY_EXISTS":
        raise
with open("/card/tags.json") as f:
    tags = json.load(f)
for key in client.get_registered_model(name).tags:
    if key.startswith(prefix) and key not in tags:
        client.delete_registered_model_tag(name, key)
for key, value in tags.items():
    client.set_registered_model_tag(name, key, value)
print(f"{name}: {len(tags)} model card tags set")
`;

export interface ModelCardProps extends ModelCardSpecInput {
  readonly namespace: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /** The model's name: objects are `<name>-model-card` and `<name>-card-<hash>` (a DNS label of at most 48 characters). */
  readonly name: string;
  /** What the model is (model_overview.model_description). @default - none */
  readonly modelDescription?: string;
  /**
   * The registered model the card's tags go to, on its tracking server, and the image of the Job
   * that sets them (an MLflow image: the server's).
   * @default - no registered model: the card is the ConfigMap only
   */
  readonly registry?: { readonly registeredModelName: string; readonly server: MlflowServer; readonly image: string };
}

export class ModelCard extends Construct {
  public readonly spec: ModelCardSpec;
  /** The ConfigMap holding the card (card.md, card.json, tags.json). */
  public readonly configMap: ConfigMapV1;
  /** The Job that writes the tags to MLflow, when the model has a registry. */
  public readonly tagJob?: JobV1;
  /** The tags the card is in MLflow. */
  public readonly tags: Record<string, string>;
  /** The card in SageMaker's model card JSON schema. */
  public readonly content: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: ModelCardProps) {
    super(scope, id);
    const { namespace, partOf, name, modelDescription, registry, ...specInput } = props;
    const spec = parseProps('ModelCard', scope, id, modelCardSpecSchema, specInput);
    if (!/^[a-z0-9]([-a-z0-9]{0,46}[a-z0-9])?$/.test(name)) {
      throw new MlopsValidationError(subjectOf('ModelCard', scope, id), [{ path: 'name', message: 'is not a DNS label short enough for the names derived from it', got: `'${name}'`, expected: 'at most 48 lowercase letters, digits and hyphens, starting and ending with a letter or digit' }]);
    }
    this.spec = spec;
    this.tags = modelCardTags(spec);
    const evaluation = evaluationDetail(spec);
    this.content = prune({ model_overview: { model_owner: spec.owner, model_description: modelDescription }, ...modelCardSections(spec), evaluation_details: evaluation ? [evaluation] : undefined }) as Record<string, unknown>;
    const labels = { ...workloadLabels(name, 'model-card', partOf), [MODEL_CARD_LABEL]: name };
    this.configMap = new ConfigMapV1(this, 'Resource', {
      metadata: { name: `${name}-model-card`, namespace, labels, annotations: { 'mlops.cdk.io/model-card-status': spec.status, 'mlops.cdk.io/model-card-risk-rating': spec.riskRating } },
      data: {
        'card.md': modelCardMarkdown(name, spec),
        'card.json': `${JSON.stringify(this.content, null, 2)}\n`,
        'tags.json': `${JSON.stringify(this.tags, null, 2)}\n`,
      },
    });
    if (registry) this.tagJob = this.renderTagJob(namespace, partOf, name, registry);
  }

  /** What the Job's pod may use (none without a registry). */
  public get reservation(): QuotaReservation | undefined {
    return this.tagJob ? { pods: 1, cpuMillis: 100, memoryMiB: 512 } : undefined;
  }

  private renderTagJob(namespace: string, partOf: string, name: string, registry: NonNullable<ModelCardProps['registry']>): JobV1 {
    const labels = workloadLabels(`${name}-card`, 'model-card-tags', partOf);
    const podLabels = { ...labels, ...registry.server.clientLabels };
    const sa: ServiceAccountV1 = newServiceAccount(this, namespace, `${name}-card`, labels);
    const hash = crypto.createHash('sha256').update(JSON.stringify([registry.registeredModelName, this.tags])).digest('hex').slice(0, 8);
    new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: `${name}-card`, namespace, labels },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: registry.server.selector } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] }],
      },
    });
    const spec = restrictedPodSpec({
      serviceAccountName: sa.metadata.name,
      uid: 1000,
      scratch: [TMP],
      volumes: [{ name: 'card', configMap: { name: this.configMap.metadata.name, items: [{ key: 'tags.json', path: 'tags.json' }] } }],
      container: {
        name: 'set-tags',
        image: registry.image,
        command: ['python', '-c', SET_TAGS],
        env: [
          { name: 'MLFLOW_TRACKING_URI', value: registry.server.trackingUri },
          { name: 'REGISTERED_MODEL', value: registry.registeredModelName },
          { name: 'TAG_PREFIX', value: MLFLOW_CARD_TAG_PREFIX },
          { name: 'HOME', value: '/tmp' },
        ],
        volumeMount: [{ name: 'card', mountPath: '/card', readOnly: true }],
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      },
      extra: { restartPolicy: 'Never' },
    });
    return new JobV1(this, 'TagJob', {
      metadata: { name: `${name}-card-${hash}`, namespace, labels },
      spec: { backoffLimit: 4, template: { metadata: { labels: podLabels }, spec } },
      // The tracking server must be serving (its Deployment waits for its rollout).
      dependsOn: [registry.server.resource, registry.server.service],
      waitForCompletion: true,
      timeouts: { create: '10m', update: '10m' },
    });
  }
}
