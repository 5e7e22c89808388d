import { Annotations, Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { ECR_IMAGE_URI, S3_URI } from '../../lib/spec';
import { IModelRegistry } from './model-registry';
import { WildcardJustification } from './private/execution-role';

/** What a model source gives the model it is bound to. */
export interface ModelSourceConfig {
  readonly container: sagemaker.CfnModel.ContainerDefinitionProperty;
  /** Human-readable origin, for the audit report and the dashboard. */
  readonly description: string;
  /** Why each resource wildcard the source granted is needed (acknowledged on the role's policy). */
  readonly wildcardJustifications: WildcardJustification[];
}

/** What binding an image or model data granted, and why any wildcard in it is needed. */
export interface BindResult {
  readonly uri: string;
  readonly wildcardJustifications: WildcardJustification[];
}

const ECR_AUTH_TOKEN: WildcardJustification = {
  finding: /^Resource::\*$/,
  reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls themselves are scoped to the model\'s repository.',
};

function grantEcrPull(grantee: iam.IGrantable, repositoryArn: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PullModelImage', actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], resources: [repositoryArn] }));
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'EcrAuthorizationToken', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
}

function grantS3Read(grantee: iam.IGrantable, objectArn: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadModelData', actions: ['s3:GetObject'], resources: [objectArn] }));
}

/** A serving image in ECR. */
export abstract class ModelImage {
  /** An image in an ECR repository of this CDK app, by tag or digest. */
  public static fromEcrRepository(repository: ecr.IRepository, tagOrDigest = 'latest'): ModelImage {
    return new RepositoryImage(repository, tagOrDigest);
  }

  /**
   * An ECR image by URI (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` or `@sha256:...`),
   * such as an AWS Deep Learning Container.
   */
  public static fromUri(uri: string): ModelImage {
    if (!Token.isUnresolved(uri) && !ECR_IMAGE_URI.test(uri)) {
      throw new MlopsValidationError({ kind: 'ModelImage' }, [{ path: 'uri', message: 'is not an ECR image URI', got: `'${uri}'`, expected: "'<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>' or '@sha256:<digest>'" }]);
    }
    return new UriImage(uri);
  }

  /** Binds the image: grants `role` the right to pull it, returns its URI. */
  public abstract bind(scope: Construct, role: iam.IGrantable): BindResult;
}

class RepositoryImage extends ModelImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tagOrDigest: string) { super(); }
  public bind(_scope: Construct, role: iam.IGrantable): BindResult {
    grantEcrPull(role, this.repository.repositoryArn);
    return { uri: this.repository.repositoryUriForTagOrDigest(this.tagOrDigest), wildcardJustifications: [ECR_AUTH_TOKEN] };
  }
}

class UriImage extends ModelImage {
  constructor(private readonly uri: string) { super(); }
  public bind(scope: Construct, role: iam.IGrantable): BindResult {
    const match = Token.isUnresolved(this.uri) ? undefined : ECR_IMAGE_URI.exec(this.uri);
    if (!match) {
      Annotations.of(scope).addWarningV2('cdk-mlops:imagePullUnknown', 'The image URI is only known at deploy time: grant the execution role ECR pull access to its repository.');
      return { uri: this.uri, wildcardJustifications: [] };
    }
    const [, account, region, , repositoryName] = match;
    grantEcrPull(role, Arn.format({ partition: Stack.of(scope).partition, service: 'ecr', region, account, resource: 'repository', resourceName: repositoryName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
    return { uri: this.uri, wildcardJustifications: [ECR_AUTH_TOKEN] };
  }
}

/** A model artifact (model.tar.gz or an uncompressed S3 prefix). */
export abstract class ModelData {
  /** An object (or, with `compressed: false`, a prefix) in a bucket of this CDK app. */
  public static fromBucket(bucket: s3.IBucket, key: string): ModelData {
    return new BucketData(bucket, key);
  }

  /** An S3 URI, `s3://bucket/key`. */
  public static fromS3Uri(uri: string): ModelData {
    if (!Token.isUnresolved(uri) && !S3_URI.test(uri)) {
      throw new MlopsValidationError({ kind: 'ModelData' }, [{ path: 'uri', message: 'is not an S3 URI', got: `'${uri}'`, expected: "'s3://<bucket>/<key>'" }]);
    }
    const [, bucket, key] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri) ?? [];
    return new UriData(uri, bucket, key);
  }

  /** Binds the data: grants `role` read access, returns its S3 URI. */
  public abstract bind(scope: Construct, role: iam.IGrantable): BindResult;
}

class BucketData extends ModelData {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string) { super(); }
  public bind(_scope: Construct, role: iam.IGrantable): BindResult {
    grantS3Read(role, this.bucket.arnForObjects(this.key));
    if (this.bucket.encryptionKey) {
      role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DecryptModelData', actions: ['kms:Decrypt'], resources: [this.bucket.encryptionKey.keyArn] }));
    }
    return { uri: this.bucket.s3UrlForObject(this.key), wildcardJustifications: [] };
  }
}

class UriData extends ModelData {
  constructor(private readonly uri: string, private readonly bucketName?: string, private readonly key?: string) { super(); }
  public bind(scope: Construct, role: iam.IGrantable): BindResult {
    if (!this.bucketName || !this.key) {
      Annotations.of(scope).addWarningV2('cdk-mlops:modelDataAccessUnknown', 'The model data object is only known at deploy time: grant the execution role read access to it.');
      return { uri: this.uri, wildcardJustifications: [] };
    }
    const stack = Stack.of(scope);
    const bucketArn = `arn:${stack.partition}:s3:::${this.bucketName}`;
    grantS3Read(role, `${bucketArn}/${this.key}`);
    // The bucket's key is not known here: allow decrypting through S3 only, for this bucket's objects
    // (S3 sets the encryption context to the object ARN, or to the bucket ARN with S3 Bucket Keys).
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DecryptModelDataViaS3',
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, `${bucketArn}/${this.key}`] },
      },
    }));
    return {
      uri: this.uri,
      wildcardJustifications: [{
        finding: /^Resource::\*$/,
        reason: "kms:Decrypt for the model artifact's SSE-KMS key (not known to this app) is limited by kms:ViaService to S3 and by the encryption context to the artifact's bucket and object.",
      }],
    };
  }
}

export interface RegistrySourceOptions {
  /** The model package version. */
  readonly version: number;
  /**
   * The inference image the model package was registered with (an MlPipeline registers its
   * `register.image`, else its training image): the model's role may pull it.
   * @default - unknown: a warning says the role needs pull access to the package's image
   */
  readonly image?: ModelImage;
}

/** Where a ModelEndpoint's model comes from. */
export abstract class ModelSource {
  /**
   * A version of a model package in a registry. Its artifacts are read from the registry's artifacts
   * bucket (under its artifacts prefix), its image pulled from `options.image`'s repository.
   */
  public static fromRegistry(registry: IModelRegistry, options: RegistrySourceOptions): ModelSource {
    if (!Token.isUnresolved(options.version) && (!Number.isInteger(options.version) || options.version < 1)) {
      throw new MlopsValidationError({ kind: 'ModelSource.fromRegistry' }, [{ path: 'version', message: 'is not a model package version', got: String(options.version), expected: 'a whole number ≥ 1' }]);
    }
    return new RegistrySource(registry, options.version, options.image);
  }

  /**
   * The model package a delivery deployed, named at deploy time (a stack parameter the delivery state
   * machine sets), from a registry that may be in another account of the same region. The role may
   * describe the group's versions, read their artifacts under the registry's prefix in the registry
   * account's buckets and decrypt them through S3 with that account's keys; the registry's policies
   * (group, bucket, key) say which of those the stage's account really gets.
   */
  public static fromDeliveredPackage(modelPackageArn: string, options: DeliveredPackageOptions): ModelSource {
    return new DeliveredPackageSource(modelPackageArn, options);
  }

  /** A serving image, with the model artifact it loads (omit when the image carries the model). */
  public static fromImage(image: ModelImage, modelData?: ModelData): ModelSource {
    return new ImageSource(image, modelData);
  }

  /** Binds the source to a model: grants `role` what the model needs to start, returns its container. */
  public abstract bind(scope: Construct, role: iam.IGrantable): ModelSourceConfig;
}

class RegistrySource extends ModelSource {
  constructor(private readonly registry: IModelRegistry, private readonly version: number, private readonly image?: ModelImage) { super(); }
  public bind(scope: Construct, role: iam.IGrantable): ModelSourceConfig {
    const packageArn = this.registry.modelPackageArn(this.version);
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DescribeModelPackage', actions: ['sagemaker:DescribeModelPackage'], resources: [packageArn] }));
    const wildcardJustifications: WildcardJustification[] = [];
    if (this.image) {
      wildcardJustifications.push(...this.image.bind(scope, role).wildcardJustifications);
    } else {
      Annotations.of(scope).addWarningV2('cdk-mlops:registryImagePullUnknown', "The model package's inference image is not known here (ModelSource.fromRegistry 'image'): grant the execution role ECR pull access to its repository.");
    }
    const bucket = this.registry.artifactsBucket;
    if (bucket) {
      const prefix = this.registry.artifactsPrefix;
      grantS3Read(role, bucket.arnForObjects(prefix ? `${prefix}/*` : '*'));
      if (bucket.encryptionKey) role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DecryptModelArtifacts', actions: ['kms:Decrypt'], resources: [bucket.encryptionKey.keyArn] }));
      wildcardJustifications.push({
        finding: /^Resource::(?!.*\/datacapture\/\*$).*\/\*$/,
        reason: "Model package artifacts are stored under keys the training pipeline chooses per run; read-only (s3:GetObject) and limited to the registry's artifacts prefix of its bucket.",
      });
    } else {
      Annotations.of(scope).addWarningV2('cdk-mlops:registryArtifactsUnknown', "The registry does not say where its artifacts live (ModelRegistry 'artifactsBucket'): grant the execution role read access to the model package's artifacts and image.");
    }
    return { container: { modelPackageName: packageArn }, description: `model package ${this.registry.modelPackageGroupName} v${this.version}`, wildcardJustifications };
  }
}

/** Where a delivered model package comes from. */
export interface DeliveredPackageOptions {
  /** The account of the registry (and of its artifacts bucket and key). */
  readonly registryAccount: string;
  /** The model package group's name. */
  readonly modelPackageGroupName: string;
  /**
   * The key prefix (no trailing slash) of the registry's artifacts in its bucket.
   * @default - unknown: a warning says the role needs read access to the artifacts
   */
  readonly artifactsPrefix?: string;
  /** @default - unknown: a warning says the role needs pull access to the package's image */
  readonly image?: ModelImage;
}

class DeliveredPackageSource extends ModelSource {
  constructor(private readonly modelPackageArn: string, private readonly options: DeliveredPackageOptions) { super(); }
  public bind(scope: Construct, role: iam.IGrantable): ModelSourceConfig {
    const stack = Stack.of(scope);
    const { registryAccount, modelPackageGroupName, artifactsPrefix, image } = this.options;
    const packages = stack.formatArn({ service: 'sagemaker', account: registryAccount, resource: 'model-package', resourceName: `${modelPackageGroupName.toLowerCase()}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DescribeModelPackage', actions: ['sagemaker:DescribeModelPackage'], resources: [packages] }));
    const wildcardJustifications: WildcardJustification[] = [{
      finding: /^Resource::arn:<AWS::Partition>:sagemaker:.*:model-package\/.*\/\*$/,
      reason: 'The version served is chosen at deploy time by the delivery state machine (a stack parameter): the role may describe any version of its model package group only.',
    }];
    if (image) wildcardJustifications.push(...image.bind(scope, role).wildcardJustifications);
    else Annotations.of(scope).addWarningV2('cdk-mlops:registryImagePullUnknown', "The model package's inference image is not known here: grant the execution role ECR pull access to its repository.");
    if (artifactsPrefix) {
      // The registry's bucket name is generated in its own account: any bucket of that account, under the prefix.
      role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ReadDeliveredArtifacts', actions: ['s3:GetObject'], resources: [`arn:${stack.partition}:s3:::*/${artifactsPrefix}/*`],
        conditions: { StringEquals: { 's3:ResourceAccount': registryAccount } },
      }));
      role.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'DecryptDeliveredArtifacts', actions: ['kms:Decrypt'], resources: [stack.formatArn({ service: 'kms', account: registryAccount, resource: 'key', resourceName: '*' })],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }));
      wildcardJustifications.push(
        { finding: /^Resource::arn:<AWS::Partition>:s3:::\*\/.*\/\*$/, reason: "The registry's artifacts bucket is named by CloudFormation in the registry's account: read-only, limited to that account (s3:ResourceAccount) and to the registry's artifacts prefix; the bucket policy grants this account that prefix only." },
        { finding: /^Resource::arn:<AWS::Partition>:kms:.*:key\/\*$/, reason: "The artifacts bucket's key is created in the registry's account: Decrypt only through S3 in this region (kms:ViaService), only keys of that account; the key policy grants this account Decrypt via S3 only." },
      );
    } else {
      Annotations.of(scope).addWarningV2('cdk-mlops:registryArtifactsUnknown', "The registry does not say where its artifacts live: grant the execution role read access to the model package's artifacts.");
    }
    return { container: { modelPackageName: this.modelPackageArn }, description: `the version of model package group ${modelPackageGroupName} delivered to this stage`, wildcardJustifications };
  }
}

class ImageSource extends ModelSource {
  constructor(private readonly image: ModelImage, private readonly modelData?: ModelData) { super(); }
  public bind(scope: Construct, role: iam.IGrantable): ModelSourceConfig {
    const image = this.image.bind(scope, role);
    const data = this.modelData?.bind(scope, role);
    return {
      container: { image: image.uri, modelDataUrl: data?.uri },
      description: `image ${image.uri}`,
      wildcardJustifications: [...image.wildcardJustifications, ...(data?.wildcardJustifications ?? [])],
    };
  }
}
