/**
 * ModelCard on AWS: an AWS::SageMaker::ModelCard, encrypted with a customer-managed key, linked to
 * the model's package group, from the model card spec. The content is written once, in the model
 * card JSON schema (snake_case, what the model card API and a model package's card take), and
 * converted to CloudFormation's PascalCase for the resource.
 */
import * as crypto from 'crypto';
import { Names, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { evaluationDetail, ModelCardSpec, modelCardSections, modelCardSpecSchema, ModelCardSpecInput, prune } from '../../lib/spec';
import { JsonNumber, pipelineJson, PipelineValue } from './pipeline/expressions';
import type { ModelPackageCard } from './pipeline/steps/model';
import { sagemakerArn, sagemakerArnName } from './private/arns';
import { claimUniqueName } from './private/unique-names';
import { parseProps, subjectOf } from './private/validation';

/** What a pipeline execution knows about the version it registers, for the version's card. */
export interface RegisteredVersionEvaluation {
  /** The metric the quality gate read (its JSON path in the evaluation report). */
  readonly metricName: string;
  /** Its value, read from the evaluation report during the execution. */
  readonly metricValue: PipelineValue;
  /** The evaluation job's ARN. */
  readonly evaluationJobArn: PipelineValue;
  /** Where the evaluation report is (S3 URI). */
  readonly reportUri: PipelineValue;
  /** The training job's ARN. */
  readonly trainingJobArn: PipelineValue;
  /** The trained model artifact (S3 URI). */
  readonly modelArtifact: PipelineValue;
}

export interface ModelCardProps extends ModelCardSpecInput {
  /** Encrypts the card (SecurityConfig.KmsKeyId): the platform key. */
  readonly encryptionKey: kms.IKey;
  /** The model package group the card describes (model_package_details.model_package_group_name). @default - none: the card stands alone */
  readonly modelPackageGroupName?: string;
  /** What the model is (model_overview.model_description, at most 1024 characters). @default - none */
  readonly modelDescription?: string;
  /**
   * The card's name prefix (the model's name). The card is named `<prefix>-<hash of its key>`:
   * SecurityConfig is a replacement property, and a replaced card needs a name of its own.
   * @default - derived from the construct path
   */
  readonly namePrefix?: string;
}

/** snake_case → PascalCase, as CloudFormation spells the model card schema's fields. */
const pascal = (key: string) => key.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
/** snake_case → camelCase, as aws-cdk-lib's CfnModelCard props spell them. */
const camel = (key: string) => pascal(key).replace(/^./, (c) => c.toLowerCase());
/** Maps whose keys are the user's, not the schema's. */
const USER_KEYED = new Set(['custom_details', 'metadata']);

function renameKeys(content: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(content)) return content.map((c) => renameKeys(c, rename));
  if (content === null || typeof content !== 'object') return content;
  return Object.fromEntries(Object.entries(content).map(([k, v]) => [rename(k), USER_KEYED.has(k) ? v : renameKeys(v, rename)]));
}

/** The model card JSON (snake_case) as CloudFormation's AWS::SageMaker::ModelCard Content (PascalCase). */
export function cfnModelCardContent(content: unknown): unknown {
  return renameKeys(content, pascal);
}

/**
 * A SageMaker model card: what the model is for and how it may be used, its risk rating, training
 * data, evaluation and ethical considerations, encrypted with the platform key.
 *
 * The card is retained when it is replaced or its stack deleted: SageMaker keeps every version of
 * a card, which is the model's governance record. Content and status changes update it in place.
 * SageMaker refuses changes to an `Archived` card.
 */
export class ModelCard extends Resource {
  public readonly spec: ModelCardSpec;
  /** @attribute */
  public readonly modelCardName: string;
  /** @attribute */
  public readonly modelCardArn: string;
  /** The content in the model card JSON schema (snake_case), as SageMaker stores it. */
  public readonly content: Record<string, unknown>;
  public readonly resource: sagemaker.CfnModelCard;
  /** Encrypts the card, and the cards of the versions a pipeline registers with it. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ModelCardProps) {
    const { encryptionKey, modelPackageGroupName, modelDescription, namePrefix, ...specInput } = props;
    const spec = parseProps('ModelCard', scope, id, modelCardSpecSchema, specInput);
    if (modelDescription !== undefined && modelDescription.length > 1024) {
      throw new MlopsValidationError(subjectOf('ModelCard', scope, id), [{ path: 'modelDescription', message: "is longer than the model card schema's model_description", got: `${modelDescription.length} characters`, expected: 'at most 1024' }]);
    }
    super(scope, id);
    this.spec = spec;
    this.encryptionKey = encryptionKey;
    this.content = this.renderContent(spec, modelPackageGroupName, modelDescription);
    this.modelCardName = this.renderName(namePrefix, encryptionKey);
    this.resource = new sagemaker.CfnModelCard(this, 'Resource', {
      modelCardName: this.modelCardName,
      modelCardStatus: spec.status,
      securityConfig: { kmsKeyId: encryptionKey.keyArn },
      // The L1 takes camelCase and writes CloudFormation's PascalCase, dropping any key it does not know.
      content: renameKeys(this.content, camel) as sagemaker.CfnModelCard.ContentProperty,
    });
    this.resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.modelCardArn = sagemakerArn(this, 'model-card', sagemakerArnName(this.modelCardName));
  }

  /**
   * The card of a version a pipeline registers (CreateModelPackage's ModelCard): this card's
   * sections, in the model package card schema (no model_package_details; model_overview is the
   * creator and the artifact), with the execution's training job and the evaluation metric the
   * quality gate passed, filled in by SageMaker during the execution.
   */
  /**
   * NOT VERIFIED: the content is a `Std:Join` of JSON text and step properties (pipelineJson), which
   * relies on SageMaker Pipelines evaluating expressions inside RegisterModel's ModelCard.ModelCardContent.
   * The pipeline definition schema allows expressions as argument values, but no AWS page or sample
   * shows one there, and the SageMaker Python SDK cannot produce one (it json.dumps the card content:
   * model_card.py ModelPackageModelCard._create_request_args), so only an execution would show it.
   */
  public forRegisteredVersion(e: RegisteredVersionEvaluation): ModelPackageCard {
    const sections = modelCardSections(this.spec);
    const trainingDetails = (sections.training_details ?? {}) as Record<string, unknown>;
    const jobDetails = (trainingDetails.training_job_details ?? {}) as Record<string, unknown>;
    const content = {
      model_overview: { model_creator: this.spec.owner, model_artifact: [e.modelArtifact] },
      ...sections,
      training_details: { ...trainingDetails, training_job_details: { ...jobDetails, training_arn: e.trainingJobArn } },
      evaluation_details: [evaluationDetail(this.spec, {
        evaluation_job_arn: e.evaluationJobArn,
        metadata: { evaluation_report: e.reportUri },
        metric_groups: [{ name: 'quality gate', metric_data: [{ name: e.metricName.slice(0, 255), type: 'number', value: typeof e.metricValue === 'object' ? new JsonNumber(e.metricValue) : e.metricValue }] }],
      })],
    };
    // The version's card is encrypted with the card's key, as the card itself is (CreateModelPackage's SecurityConfig).
    return { content: pipelineJson(content), status: this.spec.status, kmsKeyId: this.encryptionKey.keyArn };
  }

  private renderContent(spec: ModelCardSpec, group: string | undefined, description: string | undefined): Record<string, unknown> {
    const evaluation = evaluationDetail(spec);
    return prune({
      model_overview: { model_owner: spec.owner, model_description: description },
      ...modelCardSections(spec),
      evaluation_details: evaluation ? [evaluation] : undefined,
      model_package_details: group ? { model_package_group_name: group } : undefined,
    }) as Record<string, unknown>;
  }

  /**
   * `<prefix>-<8 hex of the key reference>`, at most 63 characters. The key (SecurityConfig) is a
   * replacement property: a new key gives a new name, so the new card does not clash with the old
   * one CloudFormation deletes (here: retains) after creating it.
   */
  private renderName(prefix: string | undefined, key: kms.IKey): string {
    const keyRef = JSON.stringify(Stack.of(this).resolve(key.keyArn));
    const hash = crypto.createHash('sha256').update(keyRef).digest('hex').slice(0, 8);
    const base = (prefix ?? Names.uniqueResourceName(this, { maxLength: 50, separator: '-' })).toLowerCase().slice(0, 54).replace(/-+$/, '');
    const name = `${base}-${hash}`;
    const clash = claimUniqueName(this.node.scope!, this.node.id, { kind: 'ModelCard', field: 'namePrefix', name });
    if (clash) throw new MlopsValidationError(subjectOf('ModelCard', this.node.scope!, this.node.id), [clash]);
    return name;
  }
}
