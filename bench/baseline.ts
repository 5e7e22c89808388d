/**
 * BASELINE: the benchmark platform written by hand with aws-cdk-lib L1 (Cfn*) classes only — no
 * L2 constructs, no spec parsing, no catalog lookups, no grants, no validations: every value our
 * constructs derive (instance types, thresholds, policy statements, dashboard layout) is written
 * out as a literal, the way someone writing raw CloudFormation in CDK would.
 *
 * The CPU model's build pipeline is written out too: its key, its role's policy statement by statement and its
 * SageMaker pipeline definition as a literal object (steps, arguments, property references).
 *
 * It produces the same stacks (`<platform>-shared` and one per model), the same resources (types,
 * counts, logical IDs and properties) and the same cross-stack exports as OURS. Plain `Construct`
 * scopes mirror our construct paths only so that logical IDs, generated names and export names
 * come out identical, which lets `bench/compare.ts` diff the two outputs template by template.
 */
import { App, Aws, CfnDeletionPolicy, CfnOutput, CfnTag, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnScalableTarget, CfnScalingPolicy } from 'aws-cdk-lib/aws-applicationautoscaling';
import { CfnAlarm, CfnAlarmProps, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnManagedPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnBucket, CfnBucketPolicy } from 'aws-cdk-lib/aws-s3';
import { CfnEndpoint, CfnEndpointConfig, CfnModel, CfnModelPackageGroup, CfnPipeline } from 'aws-cdk-lib/aws-sagemaker';
import { CfnTopic, CfnTopicPolicy } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { kindOf, ModelKind, modelName, PLATFORM_NAME, REGION, TAGS } from './platform-spec';

// --- The three kinds of model, fully resolved by hand -----------------------------------------

interface ImageSource {
  readonly image: string;
  readonly repository: string;
  readonly modelDataBucket: string;
  readonly modelDataKey: string;
}

interface HandModel {
  readonly registryDescription?: string;
  /** Deploys this version of its own registry; otherwise an image. */
  readonly packageVersion?: number;
  readonly image?: ImageSource;
  readonly environment?: Record<string, string>;
  readonly networkIsolation: boolean;
  /** Instance type, or a serverless config. */
  readonly instance?: { readonly type: string; readonly localNvme: boolean; readonly gpus: number };
  readonly serverless?: { readonly memorySizeInMb: number; readonly maxConcurrency: number };
  readonly scaling?: { readonly min: number; readonly max: number; readonly invocationsPerInstance: number; readonly gpuUtilizationPercent?: number };
  readonly trafficRouting: CfnEndpoint.TrafficRoutingConfigProperty;
  readonly latencyP99Ms: number;
  readonly dataCapture?: { readonly samplingPercent: number; readonly retentionDays: number; readonly csvContentTypes?: string[] };
  /** Retrained by a SageMaker pipeline (preprocess → train → evaluate → gate → register | fail). */
  readonly pipeline?: HandPipeline;
}

interface HandPipeline {
  readonly dataBucket: string;
  readonly dataPrefix: string;
  readonly preprocessImage: string;
  readonly preprocessScript: string;
  readonly trainImage: string;
  readonly evaluateScript: string;
  readonly trainInstanceType: string;
  readonly hyperparameters: Record<string, string>;
  readonly maxRuntimeSeconds: number;
  readonly gateMetric: string;
  readonly threshold: number;
}

const ECR_ACCOUNT = '683313688378';

const MODELS: Record<ModelKind, HandModel> = {
  gpu: {
    registryDescription: 'Fine-tuned support assistant LLM',
    packageVersion: 1,
    environment: { SM_NUM_GPUS: '1', MAX_INPUT_LENGTH: '4096' },
    networkIsolation: true,
    instance: { type: 'ml.g5.xlarge', localNvme: true, gpus: 1 },
    scaling: { min: 2, max: 6, invocationsPerInstance: 30, gpuUtilizationPercent: 70 },
    trafficRouting: { type: 'CANARY', waitIntervalInSeconds: 600, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } },
    latencyP99Ms: 5000,
    dataCapture: { samplingPercent: 10, retentionDays: 30 },
  },
  cpu: {
    registryDescription: 'Churn classifier versions',
    image: {
      image: `${ECR_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`,
      repository: 'sagemaker-xgboost',
      modelDataBucket: 'mlops-reference-models-us-east-1',
      modelDataKey: 'churn/model.tar.gz',
    },
    networkIsolation: true,
    instance: { type: 'ml.m5.large', localNvme: false, gpus: 0 },
    scaling: { min: 2, max: 4, invocationsPerInstance: 100 },
    trafficRouting: { type: 'LINEAR', waitIntervalInSeconds: 300, linearStepSize: { type: 'CAPACITY_PERCENT', value: 50 } },
    latencyP99Ms: 200,
    dataCapture: { samplingPercent: 100, retentionDays: 90, csvContentTypes: ['text/csv'] },
    pipeline: {
      dataBucket: 'mlops-reference-data-us-east-1',
      dataPrefix: 'churn/',
      preprocessImage: `${ECR_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
      preprocessScript: '/opt/ml/processing/input/code/preprocess.py',
      trainImage: `${ECR_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`,
      evaluateScript: '/opt/ml/processing/input/code/evaluate.py',
      trainInstanceType: 'ml.m5.xlarge',
      hyperparameters: { num_round: '200' },
      maxRuntimeSeconds: 3600,
      gateMetric: 'binary_classification_metrics.auc.value',
      threshold: 0.8,
    },
  },
  serverless: {
    image: {
      image: `${ECR_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3`,
      repository: 'sagemaker-scikit-learn',
      modelDataBucket: 'mlops-reference-models-us-east-1',
      modelDataKey: 'ticket-router/model.tar.gz',
    },
    networkIsolation: false,
    serverless: { memorySizeInMb: 2048, maxConcurrency: 10 },
    trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalInSeconds: 300 },
    latencyP99Ms: 1000,
  },
};

/** Alarm settings every endpoint shares. */
const ALARMS = { evaluationPeriods: 5, datapointsToAlarm: 3, period: 60, invocation5xxErrors: 5, rate4xxPercent: 5, gpuUtilizationPercent: 90, gpuMemoryUtilizationPercent: 90 };
const TERMINATION_WAIT_SECONDS = 300;
const SCALE_IN_COOLDOWN = 300;
const SCALE_OUT_COOLDOWN = 60;
const VARIANT = 'AllTraffic';
const INVOCATION_NAMESPACE = 'AWS/SageMaker';
const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';
const AUTOSCALING_ROLE = 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint';

// --- Helpers --------------------------------------------------------------------------------

/** The tags every resource of a stack carries: the platform's, the spec's and, in a model's stack, the model's (sorted by key, as CDK renders them). */
function tagRecord(model?: string): Record<string, string> {
  const all: Record<string, string> = { ...TAGS, 'cdk-mlops:platform': PLATFORM_NAME, ...(model ? { 'cdk-mlops:model': model } : {}) };
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
}
function tagList(model?: string): CfnTag[] {
  return Object.entries(tagRecord(model)).map(([key, value]) => ({ key, value }));
}

/** A plain scope, only for the construct path (and so the logical ID). */
function at(parent: Construct, id: string): Construct {
  return new Construct(parent, id);
}

function retain<T extends { applyRemovalPolicy(policy: RemovalPolicy): void }>(resource: T): T {
  resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return resource;
}

const accountRoot = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`;
const allowAccount = { Action: 'kms:*', Effect: 'Allow', Principal: { AWS: accountRoot }, Resource: '*' };
const serviceMayEncrypt = (service: string, sid?: string) => ({
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Principal: { Service: `${service}.amazonaws.com` }, Resource: '*', ...(sid ? { Sid: sid } : {}),
});

const blockPublicAccess: CfnBucket.PublicAccessBlockConfigurationProperty = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };

/** A bucket policy denying any request not over TLS. */
function tlsOnly(bucket: CfnBucket, extra: object[] = []): object {
  return {
    Statement: [
      { Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: { AWS: '*' }, Resource: [bucket.attrArn, `${bucket.attrArn}/*`] },
      ...extra,
    ],
    Version: '2012-10-17',
  };
}

function kmsBucketEncryption(keyArn: string): CfnBucket.BucketEncryptionProperty {
  return { serverSideEncryptionConfiguration: [{ bucketKeyEnabled: true, serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: keyArn } }] };
}

// --- Shared stack ---------------------------------------------------------------------------

interface Shared {
  readonly stack: Stack;
  readonly key: CfnKey;
  readonly topic: CfnTopic;
  readonly accessLogs: CfnBucket;
  readonly accessLogsScope: Construct;
  readonly artifacts: CfnBucket;
}

function sharedStack(platform: Construct, withRegistries: boolean): Shared {
  const stack = new Stack(platform, 'Shared', {
    env: { region: REGION },
    stackName: `${PLATFORM_NAME}-shared`,
    description: `cdk-mlops platform ${PLATFORM_NAME}: shared key, alarm topic, artifacts and access logs`,
    tags: tagRecord(),
  });
  const tags = tagList();
  const key = retain(new CfnKey(at(stack, 'PlatformKey'), 'Resource', {
    description: `cdk-mlops platform ${PLATFORM_NAME}: alarm topic and model artifacts`,
    enableKeyRotation: true,
    keyPolicy: {
      Statement: [
        allowAccount,
        serviceMayEncrypt('cloudwatch', 'AllowcloudwatchToEncrypt'),
        serviceMayEncrypt('events', 'AlloweventsToEncrypt'),
        // EventBridge rules of the registries publish to the encrypted topic.
        ...(withRegistries ? [serviceMayEncrypt('events')] : []),
      ],
      Version: '2012-10-17',
    },
    tags,
  }));

  const topicScope = at(stack, 'AlarmTopic');
  const topic = new CfnTopic(topicScope, 'Resource', { displayName: `${PLATFORM_NAME} alarms`, kmsMasterKeyId: key.attrArn, tags });
  new CfnTopicPolicy(at(topicScope, 'Policy'), 'Resource', {
    topics: [topic.ref],
    policyDocument: {
      Statement: [
        { Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Effect: 'Deny', Principal: '*', Resource: topic.ref, Sid: 'AllowPublishThroughSSLOnly' },
        // CloudWatch alarms may publish (the topic's own policy replaces SNS's default one).
        { Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }, Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: topic.ref, Sid: 'AllowCloudWatchAlarmsToPublish' },
        ...(withRegistries ? [{ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Resource: topic.ref, Sid: '2' }] : []),
      ],
      Version: '2012-10-17',
    },
  });

  // The access log bucket's policy is written once every bucket logging to it is known (see buildBaseline).
  const accessLogsScope = at(stack, 'AccessLogs');
  const accessLogs = retain(new CfnBucket(accessLogsScope, 'Resource', {
    bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
    lifecycleConfiguration: { rules: [{ id: 'ExpireAccessLogs', expirationInDays: 365, noncurrentVersionExpiration: { noncurrentDays: 30 }, status: 'Enabled' }] },
    publicAccessBlockConfiguration: blockPublicAccess,
    versioningConfiguration: { status: 'Enabled' },
    tags,
  }));

  const artifactsScope = at(stack, 'ModelArtifacts');
  const artifacts = retain(new CfnBucket(artifactsScope, 'Resource', {
    bucketEncryption: kmsBucketEncryption(key.attrArn),
    loggingConfiguration: { destinationBucketName: accessLogs.ref, logFilePrefix: 'model-artifacts/' },
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    publicAccessBlockConfiguration: blockPublicAccess,
    versioningConfiguration: { status: 'Enabled' },
    tags,
  }));
  new CfnBucketPolicy(at(artifactsScope, 'Policy'), 'Resource', { bucket: artifacts.ref, policyDocument: tlsOnly(artifacts) });
  new CfnOutput(stack, 'AuditReportUri', { value: `s3://${artifacts.ref}/audit/`, description: 'Where to publish cdk.out/audit/ for the auditor persona' });
  return { stack, key, topic, accessLogs, accessLogsScope, artifacts };
}

// --- Model stack ----------------------------------------------------------------------------

function modelStack(platform: Construct, shared: Shared, name: string, m: HandModel): void {
  const stack = new Stack(platform, name, {
    env: { region: REGION },
    stackName: `${PLATFORM_NAME}-${name}`,
    description: `cdk-mlops platform ${PLATFORM_NAME}: model ${name}`,
    tags: tagRecord(name),
  });
  const tags = tagList(name);
  const arn = (service: string, resource: string) => `arn:${Aws.PARTITION}:${service}:${REGION}:${Aws.ACCOUNT_ID}:${resource}`;

  // Registry: a retained model package group, and a rule telling the alarm topic of approvals.
  if (m.registryDescription !== undefined) {
    const registry = at(stack, 'Registry');
    retain(new CfnModelPackageGroup(registry, 'Resource', { modelPackageGroupName: name, modelPackageGroupDescription: m.registryDescription, tags }));
    new CfnRule(at(registry, 'StateChangeRule'), 'Resource', {
      description: `Model package approval changes in ${name}`,
      eventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: [name], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      state: 'ENABLED',
      targets: [{ arn: shared.topic.ref, id: 'Target0' }],
      tags,
    });
  }

  const endpoint = at(stack, 'Endpoint');
  const endpointName = Names.uniqueResourceName(endpoint, { maxLength: 63, separator: '-' });
  const key = retain(new CfnKey(at(endpoint, 'Key'), 'Resource', {
    description: `cdk-mlops ModelEndpoint ${endpoint.node.path}: storage volume, captured data, alarms`,
    enableKeyRotation: true,
    keyPolicy: { Statement: [allowAccount], Version: '2012-10-17' },
    tags,
  }));

  // Execution role, its permissions in one customer-managed policy.
  const executionRole = at(endpoint, 'ExecutionRole');
  const role = new CfnRole(at(executionRole, 'Role'), 'Resource', {
    assumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }], Version: '2012-10-17' },
    description: `SageMaker execution role of ${endpoint.node.path}`,
    tags,
  });
  const logGroup = arn('logs', `log-group:/aws/sagemaker/Endpoints/${endpointName}`);
  const packageArn = m.packageVersion !== undefined ? arn('sagemaker', `model-package/${name}/${m.packageVersion}`) : undefined;
  const statements: object[] = [
    { Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], Effect: 'Allow', Resource: [logGroup, `${logGroup}:*`], Sid: 'EndpointLogs' },
  ];
  if (packageArn) {
    statements.push(
      { Action: 'sagemaker:DescribeModelPackage', Effect: 'Allow', Resource: packageArn, Sid: 'DescribeModelPackage' },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: `${shared.artifacts.attrArn}/pipelines/${PLATFORM_NAME}-${name}/*`, Sid: 'ReadModelData' },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: shared.key.attrArn, Sid: 'DecryptModelArtifacts' },
    );
  } else if (m.image) {
    const dataBucketArn = `arn:${Aws.PARTITION}:s3:::${m.image.modelDataBucket}`;
    statements.push(
      { Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Effect: 'Allow', Resource: `arn:${Aws.PARTITION}:ecr:${REGION}:${ECR_ACCOUNT}:repository/${m.image.repository}`, Sid: 'PullModelImage' },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*', Sid: 'EcrAuthorizationToken' },
      { Action: 's3:GetObject', Effect: 'Allow', Resource: `${dataBucketArn}/${m.image.modelDataKey}`, Sid: 'ReadModelData' },
      {
        Action: 'kms:Decrypt',
        Condition: {
          StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [dataBucketArn, `${dataBucketArn}/${m.image.modelDataKey}`] },
        },
        Effect: 'Allow', Resource: '*', Sid: 'DecryptModelDataViaS3',
      },
    );
  }

  // Data capture: a KMS-encrypted, access-logged, TLS-only bucket with bounded retention.
  let dataCaptureConfig: CfnEndpointConfig.DataCaptureConfigProperty | undefined;
  let dataCaptureLogPrefix: string | undefined;
  if (m.dataCapture) {
    const captureScope = at(endpoint, 'DataCaptureBucket');
    dataCaptureLogPrefix = `datacapture/${endpointName}/`;
    const bucket = retain(new CfnBucket(captureScope, 'Resource', {
      bucketEncryption: kmsBucketEncryption(key.attrArn),
      lifecycleConfiguration: { rules: [{ id: 'DataCaptureRetention', prefix: 'datacapture/', expirationInDays: m.dataCapture.retentionDays, noncurrentVersionExpiration: { noncurrentDays: 1 }, status: 'Enabled' }] },
      loggingConfiguration: { destinationBucketName: shared.accessLogs.ref, logFilePrefix: dataCaptureLogPrefix },
      ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
      publicAccessBlockConfiguration: blockPublicAccess,
      versioningConfiguration: { status: 'Enabled' },
      tags,
    }));
    new CfnBucketPolicy(at(captureScope, 'Policy'), 'Resource', { bucket: bucket.ref, policyDocument: tlsOnly(bucket) });
    statements.push(
      { Action: 's3:PutObject', Effect: 'Allow', Resource: `${bucket.attrArn}/datacapture/*`, Sid: 'WriteDataCapture' },
      { Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: key.attrArn },
    );
    const csv = m.dataCapture.csvContentTypes;
    dataCaptureConfig = {
      enableCapture: true,
      initialSamplingPercentage: m.dataCapture.samplingPercent,
      destinationS3Uri: `s3://${bucket.ref}/datacapture`,
      kmsKeyId: key.attrArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: csv ? { csvContentTypes: csv } : undefined,
    };
  }
  const policy = new CfnManagedPolicy(at(executionRole, 'Policy'), 'Resource', {
    description: `Permissions of SageMaker execution role of ${endpoint.node.path}`,
    path: '/',
    policyDocument: { Statement: statements, Version: '2012-10-17' },
    roles: [role.ref],
  });

  // Model, endpoint config.
  const model = new CfnModel(endpoint, 'Model', {
    executionRoleArn: role.attrArn,
    primaryContainer: packageArn
      ? { modelPackageName: packageArn, environment: m.environment }
      : { image: m.image?.image, modelDataUrl: m.image ? `s3://${m.image.modelDataBucket}/${m.image.modelDataKey}` : undefined, environment: m.environment },
    enableNetworkIsolation: m.networkIsolation,
    tags,
  });
  model.addResourceDependency(policy);
  model.addResourceDependency(role);

  const variant: CfnEndpointConfig.ProductionVariantProperty = m.serverless
    ? { variantName: VARIANT, modelName: model.attrModelName, serverlessConfig: m.serverless }
    : { variantName: VARIANT, modelName: model.attrModelName, instanceType: m.instance?.type, initialInstanceCount: m.scaling?.min, initialVariantWeight: 1 };
  const config = new CfnEndpointConfig(endpoint, 'EndpointConfig', {
    productionVariants: [variant],
    // Instances with local NVMe storage (hardware-encrypted) and serverless take no volume key.
    kmsKeyId: m.instance && !m.instance.localNvme ? key.attrArn : undefined,
    dataCaptureConfig,
    tags,
  });
  // Replaced models and configs are kept for rollback.
  model.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  model.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
  config.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  config.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;

  // Alarms.
  const dimensions: CfnAlarm.DimensionProperty[] = [{ name: 'EndpointName', value: endpointName }, { name: 'VariantName', value: VARIANT }];
  const alarm = (id: string, props: Omit<CfnAlarmProps, 'evaluationPeriods' | 'comparisonOperator'> & { comparisonOperator?: string }) => new CfnAlarm(at(endpoint, id), 'Resource', {
    alarmActions: [shared.topic.ref],
    okActions: [shared.topic.ref],
    comparisonOperator: 'GreaterThanThreshold',
    datapointsToAlarm: ALARMS.datapointsToAlarm,
    evaluationPeriods: ALARMS.evaluationPeriods,
    treatMissingData: 'notBreaching',
    tags,
    ...props,
  });
  const latency = alarm('LatencyAlarm', {
    alarmDescription: `p99 model latency of ${endpointName} above ${m.latencyP99Ms} ms`,
    namespace: INVOCATION_NAMESPACE, metricName: 'ModelLatency', dimensions, extendedStatistic: 'p99', period: ALARMS.period,
    threshold: m.latencyP99Ms * 1000,
  });
  const errors5xx = alarm('Invocation5xxAlarm', {
    alarmDescription: `${endpointName} failed ${ALARMS.invocation5xxErrors} or more requests (5XX) in ${ALARMS.period}s`,
    namespace: INVOCATION_NAMESPACE, metricName: 'Invocation5XXErrors', dimensions, statistic: 'Sum', period: ALARMS.period,
    threshold: ALARMS.invocation5xxErrors,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
  });
  const metricStat = (metricName: string): CfnAlarm.MetricStatProperty => ({ metric: { namespace: INVOCATION_NAMESPACE, metricName, dimensions }, period: ALARMS.period, stat: 'Sum' });
  const rate4xx = alarm('Rate4xxAlarm', {
    alarmDescription: `4XX errors above ${ALARMS.rate4xxPercent}% of ${endpointName}'s requests`,
    metrics: [
      { id: 'expr_1', expression: 'IF(invocations > 0, 100 * errors4xx / invocations, 0)', label: '4XX rate (%)', returnData: true },
      { id: 'errors4xx', metricStat: metricStat('Invocation4XXErrors'), returnData: false },
      { id: 'invocations', metricStat: metricStat('Invocations'), returnData: false },
    ],
    threshold: ALARMS.rate4xxPercent,
  });
  const alarms = [latency, errors5xx, rate4xx];
  const gpus = m.instance?.gpus ?? 0;
  if (gpus > 0) {
    alarms.push(alarm('GpuUtilizationAlarm', {
      alarmDescription: `GPU utilization of ${endpointName} above ${ALARMS.gpuUtilizationPercent}% per GPU (${gpus} GPUs)`,
      namespace: INSTANCE_NAMESPACE, metricName: 'GPUUtilization', dimensions, statistic: 'Average', period: ALARMS.period,
      threshold: ALARMS.gpuUtilizationPercent * gpus,
    }), alarm('GpuMemoryAlarm', {
      alarmDescription: `GPU memory of ${endpointName} above ${ALARMS.gpuMemoryUtilizationPercent}% per GPU (${gpus} GPUs)`,
      namespace: INSTANCE_NAMESPACE, metricName: 'GPUMemoryUtilization', dimensions, statistic: 'Average', period: ALARMS.period,
      threshold: ALARMS.gpuMemoryUtilizationPercent * gpus,
    }));
  }

  // Endpoint: blue/green, rolled back on latency and error alarms.
  const cfnEndpoint = new CfnEndpoint(endpoint, 'Resource', {
    endpointName,
    endpointConfigName: config.attrEndpointConfigName,
    deploymentConfig: {
      autoRollbackConfiguration: { alarms: [latency, errors5xx, rate4xx].map((a) => ({ alarmName: a.ref })) },
      blueGreenUpdatePolicy: { terminationWaitInSeconds: TERMINATION_WAIT_SECONDS, trafficRoutingConfiguration: m.trafficRouting },
    },
    tags,
  });

  // Autoscaling.
  if (m.scaling) {
    const targetScope = at(endpoint, 'ScalableTarget');
    const target = new CfnScalableTarget(targetScope, 'Resource', {
      serviceNamespace: 'sagemaker',
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      resourceId: `endpoint/${endpointName}/variant/${VARIANT}`,
      minCapacity: m.scaling.min,
      maxCapacity: m.scaling.max,
      roleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${AUTOSCALING_ROLE}`,
      tags,
    });
    target.addResourceDependency(cfnEndpoint);
    const trackingPolicy = (id: string, config: Omit<CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty, 'scaleInCooldown' | 'scaleOutCooldown'>) => {
      const scope = at(targetScope, id);
      new CfnScalingPolicy(scope, 'Resource', {
        policyName: Names.uniqueId(scope),
        policyType: 'TargetTrackingScaling',
        scalingTargetId: target.ref,
        targetTrackingScalingPolicyConfiguration: { ...config, scaleInCooldown: SCALE_IN_COOLDOWN, scaleOutCooldown: SCALE_OUT_COOLDOWN },
      }).addResourceDependency(cfnEndpoint);
    };
    trackingPolicy('InvocationsScaling', {
      predefinedMetricSpecification: { predefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      targetValue: m.scaling.invocationsPerInstance,
    });
    if (m.scaling.gpuUtilizationPercent !== undefined && gpus > 0) {
      trackingPolicy('GpuScaling', {
        customizedMetricSpecification: { namespace: INSTANCE_NAMESPACE, metricName: 'GPUUtilization', dimensions, statistic: 'Average' },
        targetValue: m.scaling.gpuUtilizationPercent * gpus,
      });
    }
  }

  // Dashboard, laid out by hand.
  const series = (namespace: string, metricName: string, stat?: string): unknown[] =>
    [namespace, metricName, 'EndpointName', endpointName, 'VariantName', VARIANT, stat ? { period: ALARMS.period, stat } : { period: ALARMS.period }];
  const graph = (title: string, width: number, x: number, y: number, metrics: unknown[][]) =>
    ({ type: 'metric', width, height: 6, x, y, properties: { view: 'timeSeries', title, region: Aws.REGION, metrics, yAxis: {} } });
  const servedBy = packageArn ? `model package ${name} v${m.packageVersion}` : `image ${m.image?.image}`;
  const widgets: object[] = [
    { type: 'text', width: 24, height: 2, x: 0, y: 0, properties: { markdown: `# ${endpointName}\nServing ${servedBy} on ${m.instance?.type ?? 'serverless inference'}.`, background: 'transparent' } },
    graph('Invocations', 8, 0, 2, [series(INVOCATION_NAMESPACE, 'Invocations', 'Sum')]),
    graph('Latency p99 (µs)', 8, 8, 2, [series(INVOCATION_NAMESPACE, 'ModelLatency', 'p99'), series(INVOCATION_NAMESPACE, 'OverheadLatency', 'p99')]),
    graph('Errors', 8, 16, 2, [series(INVOCATION_NAMESPACE, 'Invocation4XXErrors', 'Sum'), series(INVOCATION_NAMESPACE, 'Invocation5XXErrors', 'Sum')]),
  ];
  let y = 8;
  if (m.instance) {
    const cpuMemory = [series(INSTANCE_NAMESPACE, 'CPUUtilization'), series(INSTANCE_NAMESPACE, 'MemoryUtilization')];
    if (gpus > 0) {
      widgets.push(
        graph('CPU / memory (%)', 12, 0, y, cpuMemory),
        graph('GPU / GPU memory (% summed over GPUs)', 12, 12, y, [series(INSTANCE_NAMESPACE, 'GPUUtilization'), series(INSTANCE_NAMESPACE, 'GPUMemoryUtilization')]),
      );
    } else {
      widgets.push(graph('CPU / memory (%)', 24, 0, y, cpuMemory));
    }
    y += 6;
  }
  widgets.push({ type: 'alarm', width: 24, height: 3, x: 0, y, properties: { title: 'Alarms', alarms: alarms.map((a) => a.attrArn) } });
  new CfnDashboard(at(endpoint, 'Dashboard'), 'Resource', { dashboardBody: stack.toJsonString({ start: '-PT3H', widgets }), tags });

  if (m.pipeline) pipelineOf(stack, shared, name, m.pipeline);
}

// --- Pipeline -------------------------------------------------------------------------------

/**
 * The model's build pipeline, role, failure rule and alarm (the data lives in a bucket of its own: no
 * input bucket; jobs write with the platform key, the artifacts bucket's, so the pipeline has no key of its own).
 */
function pipelineOf(stack: Stack, shared: Shared, name: string, p: HandPipeline): void {
  const tags = tagList(name);
  const scope = at(stack, 'Pipeline');
  const pipelineName = `${PLATFORM_NAME}-${name}`;
  const arn = (service: string, resource: string) => `arn:${Aws.PARTITION}:${service}:${REGION}:${Aws.ACCOUNT_ID}:${resource}`;
  const key = shared.key;
  const executionRole = at(scope, 'ExecutionRole');
  const role = new CfnRole(at(executionRole, 'Role'), 'Resource', {
    assumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }], Version: '2012-10-17' },
    description: `SageMaker pipeline and job role of ${scope.node.path}`,
    tags,
  });
  const groupArns = [arn('sagemaker', `model-package-group/${name}`), arn('sagemaker', `model-package/${name}/*`)];
  const dataArn = `arn:${Aws.PARTITION}:s3:::${p.dataBucket}`;
  const policy = new CfnManagedPolicy(at(executionRole, 'Policy'), 'Resource', {
    description: `Permissions of SageMaker pipeline and job role of ${scope.node.path}`,
    path: '/',
    policyDocument: {
      Statement: [
        {
          Action: ['sagemaker:AddTags', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateTrainingJob', 'sagemaker:CreateTransformJob', 'sagemaker:DescribeHyperParameterTuningJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:DescribeTransformJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob', 'sagemaker:StopHyperParameterTuningJob', 'sagemaker:StopProcessingJob', 'sagemaker:StopTrainingJob', 'sagemaker:StopTransformJob'],
          Effect: 'Allow',
          Resource: ['hyper-parameter-tuning-job', 'processing-job', 'training-job', 'transform-job'].map((t) => arn('sagemaker', `${t}/pipelines-*`)),
          Sid: 'PipelineJobs',
        },
        { Action: ['sagemaker:AddTags', 'sagemaker:CreateModel', 'sagemaker:DescribeModel'], Effect: 'Allow', Resource: arn('sagemaker', 'model/*'), Sid: 'PipelineModels' },
        { Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } }, Effect: 'Allow', Resource: role.attrArn, Sid: 'PassRoleToSageMakerJobs' },
        {
          Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'], Effect: 'Allow',
          Resource: ['ProcessingJobs', 'TrainingJobs', 'TransformJobs'].map((g) => arn('logs', `log-group:/aws/sagemaker/${g}:*`)), Sid: 'JobLogs',
        },
        { Action: 'cloudwatch:PutMetricData', Condition: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } }, Effect: 'Allow', Resource: '*', Sid: 'JobMetrics' },
        { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*', Sid: 'PullImagesAuth' },
        {
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Effect: 'Allow',
          Resource: ['sagemaker-scikit-learn', 'sagemaker-xgboost'].map((r) => `arn:${Aws.PARTITION}:ecr:${REGION}:${ECR_ACCOUNT}:repository/${r}`), Sid: 'PullImages',
        },
        { Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: key.attrArn, Sid: 'JobEncryption' },
        {
          Action: ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectRetention', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'],
          Effect: 'Allow', Resource: [shared.artifacts.attrArn, `${shared.artifacts.attrArn}/pipelines/${pipelineName}/*`],
        },
        { Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'], Effect: 'Allow', Resource: shared.key.attrArn },
        // grantRegister and grantRead on the same resources, merged into one statement.
        { Action: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'], Effect: 'Allow', Resource: groupArns },
        { Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'], Effect: 'Allow', Resource: [dataArn, `${dataArn}/${p.dataPrefix}*`], Sid: 'ReadInputData' },
      ],
      Version: '2012-10-17',
    },
    roles: [role.ref],
  });

  // The definition, written out: per-execution outputs under the shared artifacts bucket.
  const out = `s3://${shared.artifacts.ref}/pipelines/${pipelineName}`;
  const outputUri = (step: string, output: string) => ({ 'Std:Join': { On: '/', Values: [out, { Get: 'Execution.PipelineExecutionId' }, step, output] } });
  const cluster = { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: key.attrArn };
  const s3Input = (inputName: string, uri: object, localPath: string) => ({
    InputName: inputName, S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated', S3CompressionType: 'None' },
  });
  const s3Output = (step: string, outputName: string) => ({ OutputName: outputName, S3Output: { S3Uri: outputUri(step, outputName), LocalPath: `/opt/ml/processing/${outputName}`, S3UploadMode: 'EndOfJob' } });
  const stepOutput = (step: string, outputName: string) => ({ Get: `Steps.${step}.ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri` });
  const network = { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true };
  const modelArtifacts = { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' };
  const channel = (channelName: string) => ({ ChannelName: channelName, DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: stepOutput('Preprocess', channelName), S3DataDistributionType: 'FullyReplicated' } } });
  const definition = {
    Version: '2020-12-01',
    Metadata: {},
    Parameters: [
      { Name: 'InputDataUri', Type: 'String', DefaultValue: `s3://${p.dataBucket}/${p.dataPrefix}`, Description: 'S3 prefix of the training data' },
      { Name: 'InputDataVersion', Type: 'String', DefaultValue: 'unspecified', Description: 'Version of the input object that started the execution (S3 version id), recorded with the model' },
      { Name: 'InputDataObjectKey', Type: 'String', DefaultValue: 'unspecified', Description: 'Key of the input object that started the execution, recorded with the model' },
    ],
    Steps: [
      {
        Name: 'Preprocess', Type: 'Processing',
        Arguments: {
          ProcessingResources: { ClusterConfig: cluster },
          AppSpecification: { ImageUri: p.preprocessImage, ContainerEntrypoint: ['python3', p.preprocessScript] },
          RoleArn: role.attrArn,
          ProcessingInputs: [s3Input('input', { Get: 'Parameters.InputDataUri' }, '/opt/ml/processing/input')],
          ProcessingOutputConfig: { Outputs: ['train', 'validation', 'test'].map((o) => s3Output('Preprocess', o)), KmsKeyId: key.attrArn },
          StoppingCondition: { MaxRuntimeInSeconds: 86400 },
          NetworkConfig: network,
        },
      },
      {
        Name: 'Train', Type: 'Training',
        Arguments: {
          AlgorithmSpecification: { TrainingImage: p.trainImage, TrainingInputMode: 'File' },
          OutputDataConfig: { S3OutputPath: outputUri('Train', 'model'), KmsKeyId: key.attrArn },
          StoppingCondition: { MaxRuntimeInSeconds: p.maxRuntimeSeconds },
          ResourceConfig: { InstanceCount: 1, InstanceType: p.trainInstanceType, VolumeSizeInGB: 50, VolumeKmsKeyId: key.attrArn },
          RoleArn: role.attrArn,
          InputDataConfig: [channel('train'), channel('validation')],
          HyperParameters: p.hyperparameters,
          ...network,
        },
      },
      {
        Name: 'Evaluate', Type: 'Processing',
        PropertyFiles: [{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }],
        Arguments: {
          ProcessingResources: { ClusterConfig: cluster },
          AppSpecification: { ImageUri: p.trainImage, ContainerEntrypoint: ['python3', p.evaluateScript] },
          RoleArn: role.attrArn,
          ProcessingInputs: [s3Input('model', modelArtifacts, '/opt/ml/processing/model'), s3Input('test', stepOutput('Preprocess', 'test'), '/opt/ml/processing/test')],
          ProcessingOutputConfig: { Outputs: [s3Output('Evaluate', 'evaluation')], KmsKeyId: key.attrArn },
          StoppingCondition: { MaxRuntimeInSeconds: 86400 },
          NetworkConfig: network,
        },
      },
      {
        Name: 'QualityGate', Type: 'Condition',
        Arguments: {
          Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: p.gateMetric } }, RightValue: p.threshold }],
          IfSteps: [{
            Name: 'Register', Type: 'RegisterModel',
            Arguments: {
              ModelPackageGroupName: name,
              ModelApprovalStatus: 'PendingManualApproval',
              InferenceSpecification: { Containers: [{ Image: p.trainImage, ModelDataUrl: modelArtifacts }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
              ModelMetrics: { ModelQuality: { Statistics: { S3Uri: { 'Std:Join': { On: '/', Values: [stepOutput('Evaluate', 'evaluation'), 'evaluation.json'] } }, ContentType: 'application/json' } } },
              CustomerMetadataProperties: {
                InputDataUri: { Get: 'Parameters.InputDataUri' },
                InputDataVersion: { Get: 'Parameters.InputDataVersion' },
                InputDataObjectKey: { Get: 'Parameters.InputDataObjectKey' },
                PipelineExecutionArn: { Get: 'Execution.PipelineExecutionArn' },
                GateMetric: p.gateMetric,
              },
            },
          }],
          ElseSteps: [{ Name: 'QualityGateFailed', Type: 'Fail', Arguments: { ErrorMessage: `The model did not pass the quality gate: ${p.gateMetric} >= ${p.threshold} does not hold.` } }],
        },
      },
    ],
  };
  const cfnPipeline = new CfnPipeline(scope, 'Resource', {
    pipelineName,
    roleArn: role.attrArn,
    pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(definition) },
    tags,
  });
  cfnPipeline.addResourceDependency(policy);
  cfnPipeline.addResourceDependency(role);
  cfnPipeline.applyRemovalPolicy(RemovalPolicy.DESTROY);

  const pipelineArn = arn('sagemaker', `pipeline/${pipelineName}`);
  new CfnRule(at(scope, 'FailedExecutionRule'), 'Resource', {
    description: `Failed or stopped executions of ${scope.node.path}`,
    eventPattern: {
      'source': ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      'detail': { pipelineArn: [pipelineArn], currentPipelineExecutionStatus: ['Failed', 'Stopped'] },
    },
    state: 'ENABLED',
    targets: [{ arn: shared.topic.ref, id: 'Target0' }],
    tags,
  });
  new CfnAlarm(at(scope, 'FailedExecutionsAlarm'), 'Resource', {
    alarmActions: [shared.topic.ref],
    alarmDescription: `Executions of pipeline ${scope.node.path} failed`,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    dimensions: [{ name: 'PipelineName', value: pipelineName }],
    evaluationPeriods: 1,
    metricName: 'ExecutionFailed',
    namespace: 'AWS/Sagemaker/ModelBuildingPipeline',
    period: 300,
    statistic: 'Sum',
    threshold: 1,
    treatMissingData: 'notBreaching',
    tags,
  });
}

// --- The platform ---------------------------------------------------------------------------

export function build(app: App, n: number): void {
  const platform = new Construct(app, 'Platform');
  const models = Array.from({ length: n }, (_, i) => ({ name: modelName(i), model: MODELS[kindOf(i)] }));
  const shared = sharedStack(platform, models.some((m) => m.model.registryDescription !== undefined));
  for (const { name, model } of models) modelStack(platform, shared, name, model);

  // Access log bucket policy: TLS only; S3 server access logging may write for the account's own buckets, in one statement.
  const logs = shared.accessLogs;
  new CfnBucketPolicy(at(shared.accessLogsScope, 'Policy'), 'Resource', {
    bucket: logs.ref,
    policyDocument: tlsOnly(logs, [{
      Action: 's3:PutObject', Condition: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } }, Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' }, Resource: `${logs.attrArn}/*`, Sid: 'S3ServerAccessLogDelivery',
    }]),
  });

  // Every template says which governance level it was checked at (the audit report reads it).
  for (const stack of platform.node.children.filter((c): c is Stack => c instanceof Stack)) {
    stack.templateOptions.metadata = { 'cdk-mlops:governance': { level: 'baseline', requiredTags: [] } };
  }
}
