import { Annotations, ArnFormat, IResource, Names, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RegistrySpecInput, registrySpecSchema } from '../../lib/spec';
import { nameFromArn, sagemakerArn, sagemakerArnName } from './private/arns';
import { allowAlarmPublishing } from './security';
import { parseProps } from './private/validation';

/** A SageMaker model registry: one model package group and its versions. */
export interface IModelRegistry extends IResource {
  /** @attribute */
  readonly modelPackageGroupName: string;
  /** @attribute */
  readonly modelPackageGroupArn: string;
  /** The bucket holding the artifacts of the group's model packages, when known. */
  readonly artifactsBucket?: s3.IBucket;
  /** The key prefix in `artifactsBucket` under which the artifacts are (no trailing slash); undefined: anywhere in the bucket. */
  readonly artifactsPrefix?: string;
  /** The ARN of one version of the group's model packages. */
  modelPackageArn(version: number): string;
  /** Describe the group and its model packages. */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Register new model package versions in the group. */
  grantRegister(grantee: iam.IGrantable): iam.Grant;
  /** Approve or reject model package versions (UpdateModelPackage). */
  grantApprove(grantee: iam.IGrantable): iam.Grant;
  /** A rule that fires when a model package of the group changes approval status. */
  onStateChange(id: string, options?: events.OnEventOptions & { statuses?: string[] }): events.Rule;
  /** The event pattern of a change of approval status of the group's model packages (to one of `statuses`, when given). */
  stateChangeEventPattern(statuses?: string[]): events.EventPattern;
}

export interface ModelRegistryProps extends RegistrySpecInput {
  /**
   * Topic told of every approval status change listed in `notifyOn`. A KMS-encrypted topic must
   * let events.amazonaws.com use its key.
   * @default - no notification; use onStateChange() for other targets
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Where training pipelines put the artifacts of registered models: endpoints deploying from this
   * registry get read access to it.
   * @default - unknown: endpoints deploying from the registry warn that their role needs access granted
   */
  readonly artifactsBucket?: s3.IBucket;
  /**
   * The key prefix in `artifactsBucket` under which the registered models' artifacts are, without a
   * trailing slash (an MlPipeline writes under `pipelineOutputKeyPrefix(pipelineName)`): endpoints and
   * cross-account readers may read only there.
   * @default - the whole bucket
   */
  readonly artifactsPrefix?: string;
}

export interface ModelRegistryAttributes {
  readonly modelPackageGroupName: string;
  /** @default - none known */
  readonly artifactsBucket?: s3.IBucket;
  /** @default - the whole bucket */
  readonly artifactsPrefix?: string;
}

const PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';
/** The warning (printed by `mlops synth`) when the artifacts of cross-account readers cannot be granted here. */
export const CROSS_ACCOUNT_ARTIFACTS_WARNING = 'cdk-mlops:registryCrossAccountArtifacts';

abstract class ModelRegistryBase extends Resource implements IModelRegistry {
  public abstract readonly modelPackageGroupName: string;
  public abstract readonly modelPackageGroupArn: string;
  public abstract readonly artifactsBucket?: s3.IBucket;
  public abstract readonly artifactsPrefix?: string;

  public modelPackageArn(version: number): string {
    return this.registryArn('model-package', `${sagemakerArnName(this.modelPackageGroupName)}/${version}`);
  }

  /** ARN pattern of every version in the group. */
  protected get packagesArn(): string {
    return this.registryArn('model-package', `${sagemakerArnName(this.modelPackageGroupName)}/*`);
  }

  /**
   * An ARN in the registry's account and region: the stack's for a registry it creates, the ARN's
   * for one imported by ARN (a registry of another account keeps its account).
   */
  protected registryArn(resource: string, resourceName: string): string {
    return this.stack.formatArn({ service: 'sagemaker', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME, account: this.env.account, region: this.env.region });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'],
      resourceArns: [this.modelPackageGroupArn, this.packagesArn],
    });
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage'],
      resourceArns: [this.modelPackageGroupArn, this.packagesArn],
    });
  }

  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage'],
      resourceArns: [this.packagesArn],
    });
  }

  public onStateChange(id: string, options: events.OnEventOptions & { statuses?: string[] } = {}): events.Rule {
    const { statuses, ...eventOptions } = options;
    const rule = new events.Rule(this, id, eventOptions);
    rule.addEventPattern(this.stateChangeEventPattern(statuses));
    if (eventOptions.target) rule.addTarget(eventOptions.target);
    return rule;
  }

  public stateChangeEventPattern(statuses?: string[]): events.EventPattern {
    return {
      source: ['aws.sagemaker'],
      detailType: [PACKAGE_STATE_CHANGE],
      detail: {
        ModelPackageGroupName: [this.modelPackageGroupName],
        ...(statuses ? { ModelApprovalStatus: statuses } : {}),
      },
    };
  }
}

/**
 * A model registry: a SageMaker model package group, retained when the stack is deleted, readable
 * by listed accounts (never by a public principal), announcing approvals and rejections.
 */
export class ModelRegistry extends ModelRegistryBase {
  public static fromModelPackageGroupName(scope: Construct, id: string, modelPackageGroupName: string): IModelRegistry {
    return ModelRegistry.fromModelRegistryAttributes(scope, id, { modelPackageGroupName });
  }

  /**
   * A registry by its group's ARN: its account and region are the ARN's, so the package ARNs it
   * yields (and grants on) are the registry's, even in a stack of another account or region.
   */
  public static fromModelPackageGroupArn(scope: Construct, id: string, modelPackageGroupArn: string): IModelRegistry {
    return ModelRegistry.importRegistry(scope, id, { modelPackageGroupName: nameFromArn(modelPackageGroupArn) }, modelPackageGroupArn);
  }

  /** A registry of the stack's account and region, by name (and where its artifacts are, when known). */
  public static fromModelRegistryAttributes(scope: Construct, id: string, attrs: ModelRegistryAttributes): IModelRegistry {
    return ModelRegistry.importRegistry(scope, id, attrs);
  }

  private static importRegistry(scope: Construct, id: string, attrs: ModelRegistryAttributes, arn?: string): IModelRegistry {
    class Import extends ModelRegistryBase {
      public readonly modelPackageGroupName = attrs.modelPackageGroupName;
      public readonly modelPackageGroupArn: string;
      public readonly artifactsBucket = attrs.artifactsBucket;
      public readonly artifactsPrefix = attrs.artifactsPrefix;
      constructor() {
        super(scope, id, arn ? { environmentFromArn: arn } : {});
        this.modelPackageGroupArn = arn ?? this.registryArn('model-package-group', sagemakerArnName(attrs.modelPackageGroupName));
      }
    }
    return new Import();
  }

  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;
  public readonly artifactsBucket?: s3.IBucket;
  public readonly artifactsPrefix?: string;
  /** The rule notifying `notificationTopic`, when one was given. */
  public readonly notificationRule?: events.Rule;

  constructor(scope: Construct, id: string, props: ModelRegistryProps = {}) {
    const { notificationTopic, artifactsBucket, artifactsPrefix, ...specInput } = props;
    const spec = parseProps('ModelRegistry', scope, id, registrySpecSchema, specInput);
    super(scope, id);

    const name = spec.name ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase();
    const resource = new sagemaker.CfnModelPackageGroup(this, 'Resource', {
      modelPackageGroupName: name,
      modelPackageGroupDescription: spec.description,
    });
    // A registry holds the lineage of every model ever approved: never deleted with the stack.
    resource.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.modelPackageGroupName = name;
    this.modelPackageGroupArn = sagemakerArn(this, 'model-package-group', sagemakerArnName(name));
    this.artifactsBucket = artifactsBucket;
    this.artifactsPrefix = artifactsPrefix;

    if (spec.crossAccountReadAccountIds.length > 0) {
      resource.modelPackageGroupPolicy = {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'CrossAccountDescribeGroup',
            Effect: 'Allow',
            Principal: { AWS: spec.crossAccountReadAccountIds.map((a) => `arn:${this.stack.partition}:iam::${a}:root`) },
            Action: ['sagemaker:DescribeModelPackageGroup'],
            Resource: this.modelPackageGroupArn,
          },
          {
            Sid: 'CrossAccountReadAndDeployPackages',
            Effect: 'Allow',
            Principal: { AWS: spec.crossAccountReadAccountIds.map((a) => `arn:${this.stack.partition}:iam::${a}:root`) },
            Action: ['sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:CreateModel'],
            Resource: this.packagesArn,
          },
        ],
      };
      if (artifactsBucket) this.grantCrossAccountArtifacts(artifactsBucket, spec.crossAccountReadAccountIds);
      else this.warnCrossAccountArtifactsUnknown(spec.crossAccountReadAccountIds);
    }

    if (notificationTopic) {
      allowAlarmPublishing(this, notificationTopic);
      this.notificationRule = this.onStateChange('StateChangeRule', {
        description: `Model package approval changes in ${Token.isUnresolved(name) ? 'the registry' : name}`,
        statuses: spec.notifyOn,
        target: new targets.SnsTopic(notificationTopic),
      });
    }
  }

  /** Cross-account readers without a known artifacts bucket can describe the packages but not read their artifacts. */
  private warnCrossAccountArtifactsUnknown(accountIds: readonly string[]): void {
    Annotations.of(this).addWarningV2(CROSS_ACCOUNT_ARTIFACTS_WARNING,
      `The accounts granted cross-account read (${accountIds.join(', ')}) can describe and deploy the packages but not read their artifacts: the artifacts bucket is not known. Pass artifactsBucket (and artifactsPrefix) so its bucket and key policies grant them s3:GetObject and kms:Decrypt through S3, or grant them where the artifacts are.`);
  }

  /**
   * Lets the accounts read the artifacts of this registry's model packages: GetObject under the
   * artifacts prefix (bucket policy), and Decrypt with the bucket's key through S3 only (key policy).
   * See {@link CrossAccountArtifactReaders}: the policies grow by one resource per registry, not by
   * a statement, so a bucket shared by many registries stays within S3's 20 KB and KMS's 32 KB.
   */
  private grantCrossAccountArtifacts(bucket: s3.IBucket, accountIds: readonly string[]): void {
    const { objectsAdded, keyAdded } = CrossAccountArtifactReaders.of(bucket).grant(accountIds, this.artifactsPrefix ? `${this.artifactsPrefix}/*` : '*');
    // An imported bucket without its key may still be encrypted with one (aws:kms): its owner must grant it.
    const keyUnknown = !bucket.encryptionKey && !Resource.isOwnedResource(bucket);
    if (!objectsAdded || keyAdded === false || keyUnknown) {
      const missing = [...(objectsAdded ? [] : [`the bucket policy of the artifacts bucket (s3:GetObject on ${this.artifactsPrefix ? `'${this.artifactsPrefix}/*'` : 'every object'})`]),
        ...(keyAdded === false ? ['the key policy of its KMS key (kms:Decrypt with kms:ViaService s3)'] : []),
        ...(keyUnknown ? ['kms:Decrypt (with kms:ViaService s3) in the key policy of the KMS key that encrypts it, if one does (its key was not given)'] : [])];
      Annotations.of(this).addWarningV2(CROSS_ACCOUNT_ARTIFACTS_WARNING,
        `The artifacts bucket or its key is imported: the accounts granted cross-account read (${accountIds.join(', ')}) also need ${missing.join(' and ')}; add them there.`);
    }
  }
}

/**
 * The cross-account read grants of every registry keeping its artifacts in one bucket, as few
 * statements as least privilege allows: in the bucket policy, one statement per set of reader
 * accounts listing the artifacts prefixes of the registries shared with exactly that set (an account
 * reads only the prefixes of registries shared with it); in the key policy, one statement for every
 * reader account, Decrypt through S3 only (what S3 serves them is what the bucket policy lets them
 * read). Without it, each registry added a statement of its own: 100 registries shared with two
 * accounts overflowed S3's 20 KB bucket policy.
 */
const BUCKET_POLICY_BYTES = 20 * 1024;
/** An upper bound of a grant statement's size without its principals and resources. */
const STATEMENT_BYTES = 160;
/** An upper bound of the statements a SecureBucket's policy has of its own (TLS only, server access logs). */
const OWN_STATEMENTS_BYTES = 2048;

class CrossAccountArtifactReaders {
  private static readonly byBucket = new WeakMap<s3.IBucket, CrossAccountArtifactReaders>();

  public static of(bucket: s3.IBucket): CrossAccountArtifactReaders {
    let readers = CrossAccountArtifactReaders.byBucket.get(bucket);
    if (!readers) {
      readers = new CrossAccountArtifactReaders(bucket);
      CrossAccountArtifactReaders.byBucket.set(bucket, readers);
    }
    return readers;
  }

  /** By the sorted account ids: the statement, whether the bucket took it, its accounts and object key patterns (for its size). */
  private readonly objectStatements = new Map<string, { statement: iam.PolicyStatement; added: boolean; accounts: number; patterns: string[] }>();
  private keyStatement?: { statement: iam.PolicyStatement; added: boolean; accounts: Set<string> };

  private constructor(private readonly bucket: s3.IBucket) {
    bucket.node.addValidation({ validate: () => this.sizeProblems() });
  }

  /** Lets `accountIds` read `objectsArn` and decrypt through S3; whether the bucket and key policies took the statements (undefined: no key). */
  public grant(accountIds: readonly string[], keyPattern: string): { objectsAdded: boolean; keyAdded?: boolean } {
    const objectsArn = this.bucket.arnForObjects(keyPattern);
    const accounts = [...new Set(accountIds)].sort();
    const key = accounts.join(',');
    let objects = this.objectStatements.get(key);
    if (objects) {
      objects.statement.addResources(objectsArn);
      objects.patterns.push(keyPattern);
    } else {
      const statement = new iam.PolicyStatement({ principals: accounts.map((a) => new iam.AccountPrincipal(a)), actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [objectsArn] });
      objects = { statement, added: this.bucket.addToResourcePolicy(statement).statementAdded, accounts: accounts.length, patterns: [keyPattern] };
      this.objectStatements.set(key, objects);
    }
    return { objectsAdded: objects.added, keyAdded: this.grantDecrypt(accounts) };
  }

  /**
   * The grants' size in the deployed bucket policy, at most: each resource `arn:aws:s3:::<bucket>/<pattern>`
   * with S3's longest bucket name (63), each principal an account root, plus the bucket's own
   * statements (TLS only, access logs; {@link OWN_STATEMENTS_BYTES}). Over S3's 20 KB, PutBucketPolicy
   * fails at deploy: said at synth instead.
   */
  private sizeProblems(): string[] {
    const grants = [...this.objectStatements.values()].filter((o) => o.added);
    const bytes = OWN_STATEMENTS_BYTES + grants.reduce((sum, o) => sum + STATEMENT_BYTES + o.accounts * 33 + o.patterns.reduce((n, p) => n + `"arn:aws:s3:::${'b'.repeat(63)}/${p}",`.length, 0), 0);
    if (bytes <= BUCKET_POLICY_BYTES) return [];
    const registries = grants.reduce((n, o) => n + o.patterns.length, 0);
    return [`The bucket policy would be up to ${bytes} bytes, over S3's ${BUCKET_POLICY_BYTES} (20 KB): it lets other accounts read the artifacts of ${registries} registries (one resource per registry, one statement per set of reader accounts). Share fewer registries through this bucket with other accounts (deliver fewer models to stages of other accounts, or give registries an artifacts bucket of their own).`];
  }

  private grantDecrypt(accounts: readonly string[]): boolean | undefined {
    const encryptionKey = this.bucket.encryptionKey;
    if (!encryptionKey) return undefined;
    if (!this.keyStatement) {
      const statement = new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.bucket.env.region}.amazonaws.com` } },
      });
      statement.addPrincipals(...accounts.map((a) => new iam.AccountPrincipal(a)));
      this.keyStatement = { statement, added: encryptionKey.addToResourcePolicy(statement).statementAdded, accounts: new Set(accounts) };
      return this.keyStatement.added;
    }
    const known = this.keyStatement.accounts;
    const added = accounts.filter((a) => !known.has(a));
    if (added.length > 0) this.keyStatement.statement.addPrincipals(...added.map((a) => new iam.AccountPrincipal(a)));
    added.forEach((a) => known.add(a));
    return this.keyStatement.added;
  }
}