import * as path from 'path';
import { ArnFormat, Duration, IResource, Names, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { FeatureGroupSpec, FeatureStoreSpec, FeatureStoreSpecInput, featureStoreSpecSchema } from '../../lib/spec/feature-store';
import { sagemakerArn, sagemakerArnName } from './private/arns';
import { ExecutionRole } from './private/execution-role';
import { DEFAULT_LOCK_FILE, LOCK_CONTEXT_KEY, lockKey, readLockFile, replacingChanges } from './private/feature-group-lock';
import { AccessLogsBucket, keyOrNew, SecureBucket } from './security';
import { parseProps, subjectOf } from './private/validation';

/** The Glue database SageMaker Feature Store creates offline store tables in. */
export const FEATURE_STORE_GLUE_DATABASE = 'sagemaker_featurestore';
/** Prefix of the offline store in its bucket. */
const OFFLINE_PREFIX = 'offline-store';
/** Prefix of Athena query results in the offline store bucket. */
const ATHENA_RESULTS_PREFIX = 'athena-results';

/** A SageMaker Feature Store feature group. */
export interface IFeatureGroup extends IResource {
  /** @attribute */
  readonly featureGroupName: string;
  /** @attribute */
  readonly featureGroupArn: string;
  /** Read records from the online store: GetRecord, BatchGetRecord (and decrypt with the online store key). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Write and delete records: PutRecord, DeleteRecord (and encrypt with the online store key). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}

abstract class FeatureGroupBase extends Resource implements IFeatureGroup {
  public abstract readonly featureGroupName: string;
  /** Key of the online store, when known. */
  protected abstract readonly onlineStoreKey?: kms.IKey;

  public get featureGroupArn(): string {
    return sagemakerArn(this, 'feature-group', sagemakerArnName(this.featureGroupName));
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:GetRecord', 'sagemaker:BatchGetRecord'], resourceArns: [this.featureGroupArn] });
    if (this.onlineStoreKey) grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt', 'kms:DescribeKey'], resourceArns: [this.onlineStoreKey.keyArn] }));
    return grant;
  }

  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:PutRecord', 'sagemaker:DeleteRecord'], resourceArns: [this.featureGroupArn] });
    // Explicit key actions (no wildcard): what the online store needs to encrypt a record for the caller.
    if (this.onlineStoreKey) grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resourceArns: [this.onlineStoreKey.keyArn] }));
    return grant;
  }
}

/** Everything a feature group shares with the others of its store. */
interface FeatureGroupProps {
  readonly spec: FeatureGroupSpec;
  /** Path of the spec in the store's props, for error messages (`featureGroups[0]`). */
  readonly specPath: string;
  readonly storeId: string;
  readonly storeScope: Construct;
  readonly encryptionKey: kms.IKey;
  readonly offlineStore?: { readonly bucket: s3.IBucket; readonly role: ExecutionRole };
  readonly lockFile: string;
}

/**
 * One feature group (`AWS::SageMaker::FeatureGroup`, the child 'Resource'), created by a
 * {@link FeatureStore}. Retained on delete; stack tags never reach it (a tag change would replace
 * it); a change CloudFormation would make by replacement is refused against the lock file.
 */
export class FeatureGroup extends FeatureGroupBase {
  public static fromFeatureGroupName(scope: Construct, id: string, featureGroupName: string, onlineStoreKey?: kms.IKey): IFeatureGroup {
    class Import extends FeatureGroupBase {
      public readonly featureGroupName = featureGroupName;
      protected readonly onlineStoreKey = onlineStoreKey;
    }
    return new Import(scope, id);
  }

  public readonly featureGroupName: string;
  public readonly spec: FeatureGroupSpec;
  public readonly cfnFeatureGroup: sagemaker.CfnFeatureGroup;
  protected readonly onlineStoreKey?: kms.IKey;

  /** @internal Created by FeatureStore. */
  constructor(scope: Construct, id: string, props: FeatureGroupProps) {
    super(scope, id);
    const { spec, encryptionKey, offlineStore } = props;
    this.spec = spec;
    this.featureGroupName = spec.name;
    this.onlineStoreKey = spec.onlineStore.enabled ? encryptionKey : undefined;
    const online = spec.onlineStore;
    const t = spec.throughput;
    this.cfnFeatureGroup = new sagemaker.CfnFeatureGroup(this, 'Resource', {
      featureGroupName: spec.name,
      description: spec.description,
      recordIdentifierFeatureName: spec.recordIdentifier,
      eventTimeFeatureName: spec.eventTime,
      featureDefinitions: spec.features.map((f) => ({ featureName: f.name, featureType: f.type })),
      // Both store configs are untyped JSON in the L1: CloudFormation's own (PascalCase) keys.
      onlineStoreConfig: online.enabled
        ? {
          EnableOnlineStore: true,
          StorageType: online.storageType,
          SecurityConfig: { KmsKeyId: encryptionKey.keyArn },
          TtlDuration: online.ttl ? { Unit: online.ttl.unit, Value: online.ttl.value } : undefined,
        }
        : undefined,
      offlineStoreConfig: spec.offlineStore.enabled && offlineStore
        ? {
          S3StorageConfig: { S3Uri: offlineStore.bucket.s3UrlForObject(OFFLINE_PREFIX), KmsKeyId: encryptionKey.keyArn },
          TableFormat: spec.offlineStore.tableFormat,
          DisableGlueTableCreation: false,
        }
        : undefined,
      roleArn: spec.offlineStore.enabled && offlineStore ? offlineStore.role.role.roleArn : undefined,
      throughputConfig: t.mode === 'Provisioned'
        ? { throughputMode: 'Provisioned', provisionedReadCapacityUnits: t.readCapacityUnits, provisionedWriteCapacityUnits: t.writeCapacityUnits }
        : { throughputMode: 'OnDemand' },
    });
    // A feature group is data: never deleted with the stack, never replaced by accident.
    this.cfnFeatureGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // Tags replace a feature group: stack-level tags must not reach it. Overrides apply after the
    // tag aspect has rendered, so this holds whatever Tags.of(...) adds above.
    this.cfnFeatureGroup.addPropertyDeletionOverride('Tags');
    // Feature Store checks the role's S3/KMS permissions when it creates the offline store.
    if (offlineStore && spec.offlineStore.enabled) this.cfnFeatureGroup.node.addDependency(...offlineStore.role.dependable);

    // Judged once references are resolved (the lock holds the template as deployed).
    this.node.addValidation({
      validate: () => {
        const lock = readLockFile(props.lockFile);
        const stack = Stack.of(this);
        const locked = lock.featureGroups[lockKey(stack.stackName, spec.name)];
        if (!locked) return [];
        // The resource exactly as the template will hold it (tags removed, overrides applied).
        type Rendered = { Resources: Record<string, { Properties?: Record<string, unknown> }> };
        const rendered = stack.resolve((this.cfnFeatureGroup as unknown as { _toCloudFormation(): unknown })._toCloudFormation()) as Rendered;
        const current = Object.values(rendered.Resources)[0]?.Properties ?? {};
        const issues = replacingChanges(props.specPath, spec.name, locked.properties, current);
        if (issues.length > 0) throw new MlopsValidationError(subjectOf('FeatureStore', props.storeScope, props.storeId), issues);
        return [];
      },
    });
  }
}

export interface FeatureStoreProps extends FeatureStoreSpecInput {
  /**
   * Key of the online stores, the offline store bucket and Athena query results.
   * @default - a new customer-managed key with rotation, retained
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Role Feature Store assumes to write the offline store. Changing it replaces every feature group
   * with an offline store (refused once they are locked).
   * @default - a new role allowed to write the offline store prefix only
   */
  readonly offlineStoreRole?: iam.IRole;
  /**
   * Destination of the offline store bucket's server access logs.
   * @default - a new access log bucket
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * The lock file of deployed feature group definitions, which `mlops features lock` writes.
   * @default - the context value `cdk-mlops:featureStoreLock`, else `feature-store.lock.json`, in the working directory
   */
  readonly lockFile?: string;
}

/**
 * Feature groups with their online and offline stores: KMS-encrypted, retained, shielded from
 * accidental replacement, with grants for online reads and writes and for offline (Athena) queries.
 */
export class FeatureStore extends Construct {
  public readonly spec: FeatureStoreSpec;
  public readonly encryptionKey: kms.IKey;
  /** The offline store bucket, when any group has an offline store. */
  public readonly offlineStoreBucket?: s3.IBucket;
  /** Role Feature Store writes the offline store with. */
  public readonly offlineStoreRole?: iam.IRole;
  /** Athena workgroup for offline queries, results encrypted with the store key. */
  public readonly workGroup?: athena.CfnWorkGroup;
  public readonly featureGroups: readonly FeatureGroup[];

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    const { encryptionKey, offlineStoreRole, accessLogsBucket, lockFile, ...specInput } = props;
    const spec = parseProps('FeatureStore', scope, id, featureStoreSpecSchema, specInput);
    super(scope, id);
    this.spec = spec;
    this.encryptionKey = keyOrNew(this, 'Key', encryptionKey, `cdk-mlops FeatureStore ${this.node.path}: online stores, offline store, query results`);
    const lockPath = path.resolve(lockFile ?? (this.node.tryGetContext(LOCK_CONTEXT_KEY) as string | undefined) ?? DEFAULT_LOCK_FILE);

    let offline: FeatureGroupProps['offlineStore'];
    const offlineGroups = spec.featureGroups.filter((g) => g.offlineStore.enabled);
    if (offlineGroups.length > 0) {
      const bucket = new SecureBucket(this, 'OfflineStoreBucket', {
        encryptionKey: this.encryptionKey,
        accessLogs: accessLogsBucket ?? new AccessLogsBucket(this, 'AccessLogs'),
        accessLogsPrefix: 'feature-store/',
        lifecycleRules: [{ id: 'ExpireAthenaResults', prefix: `${ATHENA_RESULTS_PREFIX}/`, expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) }],
        replicationReason: 'The offline feature store is rebuilt from its sources; versioning and retention protect it in-region.',
      });
      const role = new ExecutionRole(this, 'OfflineStoreRole', { role: offlineStoreRole, servicePrincipal: 'sagemaker.amazonaws.com', description: `Feature Store offline store role of ${this.node.path}` });
      // What Feature Store does with the role: write record files (with the bucket-owner ACL it sets), check the bucket ACL, read Iceberg metadata.
      role.addStatements(
        new iam.PolicyStatement({ sid: 'WriteOfflineStore', actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject', 's3:DeleteObject'], resources: [bucket.arnForObjects(`${OFFLINE_PREFIX}/*`)] }),
        new iam.PolicyStatement({ sid: 'OfflineStoreBucket', actions: ['s3:GetBucketAcl', 's3:ListBucket', 's3:GetBucketLocation'], resources: [bucket.bucketArn] }),
      );
      role.allowEncrypt(this.encryptionKey);
      role.allowDecrypt(this.encryptionKey);
      if (offlineGroups.some((g) => g.offlineStore.tableFormat === 'Iceberg')) {
        // Iceberg tables: Feature Store commits new snapshots to the Glue table it created.
        role.addStatements(new iam.PolicyStatement({
          sid: 'IcebergTables',
          actions: ['glue:GetTable', 'glue:UpdateTable', 'glue:GetDatabase'],
          resources: this.glueArns(offlineGroups.filter((g) => g.offlineStore.tableFormat === 'Iceberg')),
        }));
      }
      role.justifyWildcards([
        { finding: /^Resource::.*\/offline-store\/\*$/, reason: 'Feature Store writes one object per batch of records under the offline store prefix, with generated keys (account/region/group/date partitions); limited to that prefix.' },
        { finding: /^Resource::.*:table\/sagemaker_featurestore\/.*\*$/, reason: 'Feature Store names the offline table it creates <group>_<creation timestamp>; the statement is limited to the tables of this store\'s Iceberg groups.' },
      ]);
      this.offlineStoreBucket = bucket;
      this.offlineStoreRole = role.role;
      offline = { bucket, role };

      this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
        name: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
        description: `Offline feature queries of ${this.node.path}`,
        recursiveDeleteOption: false,
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: true,
          publishCloudWatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: bucket.s3UrlForObject(`${ATHENA_RESULTS_PREFIX}/`),
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.encryptionKey.keyArn },
          },
        },
      });
      this.workGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    // The feature group name is the group's identity: changing it creates another feature group
    // (FeatureGroupName is a replacement property), so it is also the construct id. Refactors of
    // the store never move a group to another logical id.
    this.featureGroups = spec.featureGroups.map((g, i) => new FeatureGroup(this, g.name, {
      spec: g,
      specPath: `featureGroups[${i}]`,
      storeId: id,
      storeScope: scope,
      encryptionKey: this.encryptionKey,
      offlineStore: offline,
      lockFile: lockPath,
    }));
  }

  /** The feature group of this store named `name`. */
  public featureGroup(name: string): FeatureGroup {
    const group = this.featureGroups.find((g) => g.featureGroupName === name);
    if (!group) {
      throw new MlopsValidationError(subjectOf('FeatureStore', this.node.scope!, this.node.id), [{
        path: 'featureGroups', message: 'has no group of that name', got: `'${name}'`, expected: `one of ${this.featureGroups.map((g) => `'${g.featureGroupName}'`).join(', ')}`,
      }]);
    }
    return group;
  }

  /** Read records of every group from the online store (GetRecord, BatchGetRecord). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantEach(grantee, (g) => g.grantRead(grantee));
  }

  /** Write and delete records of every group (PutRecord, DeleteRecord). */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantEach(grantee, (g) => g.grantWrite(grantee));
  }

  /**
   * Query the offline store with Athena in this store's workgroup: run queries, read the groups'
   * Glue tables and S3 records, write encrypted query results.
   */
  public grantOfflineQuery(grantee: iam.IGrantable): iam.Grant {
    const bucket = this.offlineStoreBucket;
    const groups = this.spec.featureGroups.filter((g) => g.offlineStore.enabled);
    if (!bucket || !this.workGroup || groups.length === 0) {
      throw new MlopsValidationError(subjectOf('FeatureStore', this.node.scope!, this.node.id), [{
        path: 'featureGroups', message: 'has no offline store to query', got: 'every offlineStore.enabled false', expected: 'at least one group with an offline store',
      }]);
    }
    const stack = Stack.of(this);
    const workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.ref, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resourceArns: [workGroupArn],
    });
    grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
      resourceArns: this.glueArns(groups),
    }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${OFFLINE_PREFIX}/*`)] }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resourceArns: [bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}/*`)] }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket', 's3:GetBucketLocation'], resourceArns: [bucket.bucketArn] }));
    grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resourceArns: [this.encryptionKey.keyArn] }));
    return grant;
  }

  private grantEach(grantee: iam.IGrantable, fn: (g: FeatureGroup) => iam.Grant): iam.Grant {
    const [first, ...rest] = this.featureGroups.map(fn);
    for (const g of rest) first.combine(g);
    return first ?? iam.Grant.drop(grantee, 'no feature groups');
  }

  /** Glue catalog, database and the offline tables (`<group name in lower case, _ for ->_<timestamp>`) of `groups`. */
  private glueArns(groups: readonly FeatureGroupSpec[]): string[] {
    const stack = Stack.of(this);
    const glue = (resource: string, resourceName?: string) => stack.formatArn({ service: 'glue', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return [
      glue('catalog'),
      glue('database', FEATURE_STORE_GLUE_DATABASE),
      ...groups.map((g) => glue('table', `${FEATURE_STORE_GLUE_DATABASE}/${g.name.toLowerCase().replace(/-/g, '_')}_*`)),
    ];
  }
}
