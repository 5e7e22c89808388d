import { CfnElement, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { ModelEndpoint } from '../../../constructs/aws';
import { MlopsValidationError } from '../../../lib/errors';
import {
  ACCOUNT, actionsOf, allStatements, endpointProps, endpointTemplate, EP, expectValidationError, ExpectedIssue,
  IMAGE_URI, newEndpoint, newStack, only,
} from './helpers';

const CPU = { compute: { instanceType: 'ml.m5.large' } };
const GPU = { compute: { instanceType: 'ml.g5.xlarge' } };
/** 4 x NVIDIA A10G. */
const GPU4 = { compute: { instanceType: 'ml.g5.12xlarge' } };
const SERVERLESS = { compute: { serverless: { memoryMiB: 2048, maxConcurrency: 10 } } };

const logicalId = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

describe('ModelEndpoint', () => {
  describe('model, endpoint config and endpoint', () => {
    it('creates one model, one endpoint config and one endpoint wired together', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::SageMaker::Model', 1);
      t.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
      t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
      t.hasResourceProperties('AWS::SageMaker::Model', {
        ExecutionRoleArn: { 'Fn::GetAtt': [logicalId(stack, endpoint.role), 'Arn'] },
        PrimaryContainer: { Image: IMAGE_URI },
      });
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ ModelName: { 'Fn::GetAtt': [stack.getLogicalId(endpoint.cfnModel), 'ModelName'] } })],
      });
      t.hasResourceProperties('AWS::SageMaker::Endpoint', {
        EndpointConfigName: { 'Fn::GetAtt': [stack.getLogicalId(endpoint.cfnEndpointConfig), 'EndpointConfigName'] },
      });
    });

    it('leaves the model and endpoint config names to CloudFormation so a replacement never clashes', () => {
      const t = endpointTemplate(CPU);
      t.hasResourceProperties('AWS::SageMaker::Model', { ModelName: Match.absent() });
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { EndpointConfigName: Match.absent() });
    });

    it('keeps a replaced model and endpoint config for rollback, and deletes them with the stack', () => {
      const t = endpointTemplate(CPU);
      for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig']) {
        const { resource } = only(t, type);
        expect({ type, replace: resource.UpdateReplacePolicy, delete: resource.DeletionPolicy }).toEqual({ type, replace: 'Retain', delete: 'Delete' });
      }
    });

    it("makes the endpoint the primary child 'Resource', so its logical id is the construct's own", () => {
      const { stack, endpoint } = newEndpoint(CPU);
      expect(endpoint.cfnEndpoint.node.id).toBe('Resource');
      expect(endpoint.node.defaultChild).toBe(endpoint.cfnEndpoint);
      expect(stack.getLogicalId(endpoint.cfnEndpoint)).toMatch(/^Ep[0-9A-F]{8}$/);
    });

    it('derives a stable endpoint name from the construct path when none is given', () => {
      const a = newEndpoint(CPU).endpoint;
      const b = newEndpoint({ compute: { instanceType: 'ml.c5.xlarge' } }).endpoint;
      expect(a.endpointName).toBe(b.endpointName);
      expect(a.endpointName).toMatch(/^Stack-Ep-[0-9A-F]{8}$/);
      const t = Template.fromStack(Stack.of(a));
      t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: a.endpointName });
    });

    it('uses the given endpoint name as it is', () => {
      endpointTemplate({ ...CPU, endpointName: 'Churn-Prod' }).hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'Churn-Prod' });
    });

    it('rejects a second endpoint with the same endpointName in the same account and region, naming both constructs', () => {
      expectValidationError(() => {
        const { app, stack } = newStack('First');
        new ModelEndpoint(stack, 'Churn', endpointProps({ ...CPU, endpointName: 'churn-prod' }));
        const other = new Stack(app, 'Second', { env: { account: ACCOUNT, region: 'us-east-1' } });
        new ModelEndpoint(other, 'Copy', endpointProps({ ...CPU, endpointName: 'churn-prod' }));
      }, "ModelEndpoint 'Copy' (Second/Copy)", { path: 'endpointName', message: "is already the endpointName of ModelEndpoint 'First/Churn', in the same account and region", got: "'churn-prod'" });
    });

    it('accepts the same endpointName in another region, and in another app', () => {
      const { app, stack } = newStack('First');
      new ModelEndpoint(stack, 'Churn', endpointProps({ ...CPU, endpointName: 'churn-prod' }));
      const west = new Stack(app, 'West', { env: { account: ACCOUNT, region: 'us-west-2' } });
      expect(new ModelEndpoint(west, 'Churn', endpointProps({ ...CPU, endpointName: 'churn-prod' })).endpointName).toBe('churn-prod');
      expect(newEndpoint({ ...CPU, endpointName: 'churn-prod' }).endpoint.endpointName).toBe('churn-prod');
    });

    it("names the production variant 'AllTraffic' by default, or as given", () => {
      endpointTemplate(CPU).hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ VariantName: 'AllTraffic' })] });
      endpointTemplate({ ...CPU, variantName: 'Primary' }).hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ VariantName: 'Primary' })] });
    });

    it('replaces only the endpoint config when the instance type changes: same endpoint logical id and name', () => {
      const before = newEndpoint(CPU);
      const after = newEndpoint({ compute: { instanceType: 'ml.c5.xlarge' } });
      const tBefore = Template.fromStack(before.stack);
      const tAfter = Template.fromStack(after.stack);
      const cfgBefore = only(tBefore, 'AWS::SageMaker::EndpointConfig');
      const cfgAfter = only(tAfter, 'AWS::SageMaker::EndpointConfig');
      expect(cfgAfter.resource.Properties).not.toEqual(cfgBefore.resource.Properties);
      expect(cfgAfter.resource.Properties?.EndpointConfigName).toBeUndefined();
      const epBefore = only(tBefore, 'AWS::SageMaker::Endpoint');
      const epAfter = only(tAfter, 'AWS::SageMaker::Endpoint');
      expect(epAfter.id).toBe(epBefore.id);
      expect(epAfter.resource.Properties?.EndpointName).toBe(epBefore.resource.Properties?.EndpointName);
      // The variant name stays, as blue/green deployments require.
      expect((cfgAfter.resource.Properties?.ProductionVariants as { VariantName: string }[])[0].VariantName)
        .toBe((cfgBefore.resource.Properties?.ProductionVariants as { VariantName: string }[])[0].VariantName);
    });

    it('passes environment variables to the container, and none when there are none', () => {
      endpointTemplate({ ...CPU, environment: { LOG_LEVEL: 'info', _X1: 'y' } })
        .hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { Environment: { LOG_LEVEL: 'info', _X1: 'y' } } });
      endpointTemplate(CPU).hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { Environment: Match.absent() } });
    });

    it('isolates the container from the network by default on instances, and lets it be turned off', () => {
      endpointTemplate(CPU).hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true });
      endpointTemplate({ ...CPU, networkIsolation: false }).hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: false });
    });
  });

  describe('compute', () => {
    it('uses an explicit instance type', () => {
      const { endpoint, stack } = newEndpoint({ compute: { instanceType: 'ml.c5.xlarge' } });
      expect(endpoint.instanceType).toBe('ml.c5.xlarge');
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ InstanceType: 'ml.c5.xlarge', InitialVariantWeight: 1, ServerlessConfig: Match.absent() })],
      });
    });

    it('resolves an nvidia-a10g accelerator intent to ml.g5.xlarge through the catalog', () => {
      const { endpoint, stack } = newEndpoint({ compute: { accelerator: { type: 'nvidia-a10g' } } });
      expect(endpoint.instanceType).toBe('ml.g5.xlarge');
      expect(endpoint.spec.compute).toMatchObject({ kind: 'instance', instanceType: 'ml.g5.xlarge' });
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.xlarge' })] });
    });

    it('resolves a CPU intent (vCPUs and memory) to the cheapest CPU type that meets it', () => {
      const { endpoint } = newEndpoint({ compute: { vCpus: 4, memoryGiB: 16 } });
      expect(endpoint.instanceType).toBe('ml.m5.xlarge');
    });

    it('renders serverless compute as a ServerlessConfig with memory and concurrency, and no instances', () => {
      const t = endpointTemplate({ compute: { serverless: { memoryMiB: 3072, maxConcurrency: 15, provisionedConcurrency: 2 } } });
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [{
          VariantName: 'AllTraffic',
          ModelName: Match.anyValue(),
          ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 15, ProvisionedConcurrency: 2 },
        }],
      });
    });

    it('gives a serverless endpoint no data capture, no network isolation and no scaling resources', () => {
      const { endpoint, stack } = newEndpoint(SERVERLESS);
      expect(endpoint.instanceType).toBeUndefined();
      expect(endpoint.dataCaptureBucket).toBeUndefined();
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.absent() });
      t.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: false });
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 0);
      t.resourceCountIs('AWS::S3::Bucket', 0);
    });

    it('defaults serverless maxConcurrency to 20', () => {
      endpointTemplate({ compute: { serverless: { memoryMiB: 1024 } } }).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 20 } })],
      });
    });
  });

  describe('encryption of the storage volume', () => {
    it('sets the endpoint config KmsKeyId on ml.m5.large, which has no local NVMe storage', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, endpoint.encryptionKey), 'Arn'] },
      });
    });

    it('omits the volume key on instances with local NVMe storage (ml.g5.xlarge)', () => {
      endpointTemplate(GPU).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
    });

    it('omits the volume key on serverless endpoints', () => {
      endpointTemplate(SERVERLESS).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
    });

    it('sets the volume key on a GPU type without NVMe storage (ml.p3.2xlarge)', () => {
      endpointTemplate({ compute: { instanceType: 'ml.p3.2xlarge' } }).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.anyValue() });
    });

    it('creates a customer-managed key with rotation, retained, when none is given', () => {
      const t = endpointTemplate(CPU);
      t.resourceCountIs('AWS::KMS::Key', 1);
      t.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    });

    it('uses a given key for the volume, the captured data and the topic, and creates none', () => {
      const { stack } = newStack();
      const key = new kms.Key(stack, 'Given', { enableKeyRotation: true });
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, encryptionKey: key }));
      const t = Template.fromStack(stack);
      const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
      t.resourceCountIs('AWS::KMS::Key', 1);
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: keyArn, DataCaptureConfig: Match.objectLike({ KmsKeyId: keyArn }) });
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    });

    it('warns and omits the volume key when the instance type is only known at deploy time', () => {
      const { stack } = newStack();
      const type = new CfnParameter(stack, 'InstanceType', { type: 'String' });
      new ModelEndpoint(stack, 'Ep', endpointProps({ compute: { instanceType: type.valueAsString } }));
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        KmsKeyId: Match.absent(),
        ProductionVariants: [Match.objectLike({ InstanceType: { Ref: 'InstanceType' } })],
      });
      Annotations.fromStack(stack).hasWarning('/Stack/Ep', Match.stringLikeRegexp('cdk-mlops:volumeKeyUnknown'));
    });
  });

  describe('data capture', () => {
    it('captures input and output with the endpoint key, on NVMe instances too', () => {
      const { stack, endpoint } = newEndpoint(GPU);
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 20,
          KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, endpoint.encryptionKey), 'Arn'] },
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(stack, endpoint.dataCaptureBucket!) }, '/datacapture']] },
        },
      });
    });

    it('samples the configured percentage of requests', () => {
      endpointTemplate({ ...CPU, dataCapture: { samplingPercent: 55 } })
        .hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.objectLike({ InitialSamplingPercentage: 55 }) });
    });

    it('declares the CSV and JSON content types when given, and no header otherwise', () => {
      endpointTemplate({ ...CPU, dataCapture: { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json', 'application/jsonlines'] } })
        .hasResourceProperties('AWS::SageMaker::EndpointConfig', {
          DataCaptureConfig: Match.objectLike({ CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json', 'application/jsonlines'] } }),
        });
      endpointTemplate(CPU).hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.objectLike({ CaptureContentTypeHeader: Match.absent() }) });
    });

    it('encrypts the capture bucket with the endpoint key, versions it, blocks public access and retains it', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const t = Template.fromStack(stack);
      t.hasResource('AWS::S3::Bucket', {
        Properties: {
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack, endpoint.encryptionKey), 'Arn'] } } }] },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('denies non-TLS access to the capture bucket', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack, endpoint.dataCaptureBucket!) },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    });

    it('logs access to the capture bucket in a new access log bucket, under the endpoint prefix', () => {
      const { stack, endpoint } = newEndpoint({ ...CPU, endpointName: 'churn' });
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::S3::Bucket', 2);
      t.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: Match.objectLike({ ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] }),
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^EpAccessLogs') }, LogFilePrefix: 'datacapture/churn/' },
      });
      expect(endpoint.dataCaptureBucket).toBeDefined();
    });

    it('logs to a given access log bucket instead of creating one', () => {
      const { stack } = newStack();
      const logs = new s3.Bucket(stack, 'Logs');
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, accessLogsBucket: logs }));
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::S3::Bucket', 2);
      t.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: { Ref: stack.getLogicalId(logs.node.defaultChild as s3.CfnBucket) }, LogFilePrefix: Match.anyValue() } });
    });

    it('expires captured data after retentionDays', () => {
      endpointTemplate({ ...CPU, dataCapture: { retentionDays: 90 } }).hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'DataCaptureRetention', Prefix: 'datacapture/', ExpirationInDays: 90, Status: 'Enabled' })] },
      });
    });

    it('creates no capture bucket and no DataCaptureConfig when capture is off', () => {
      const t = endpointTemplate({ ...CPU, dataCapture: { enabled: false } });
      t.resourceCountIs('AWS::S3::Bucket', 0);
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.absent() });
    });
  });

  describe('deployment', () => {
    it('deploys blue/green all at once by default, with a baking period and auto rollback', () => {
      endpointTemplate(CPU).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: {
          AutoRollbackConfiguration: { Alarms: Match.anyValue() },
          BlueGreenUpdatePolicy: {
            TerminationWaitInSeconds: 300,
            TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300, CanarySize: Match.absent(), LinearStepSize: Match.absent() },
          },
          RollingUpdatePolicy: Match.absent(),
        },
      });
    });

    it('shifts a canary share of capacity first with strategy canary (10% by default)', () => {
      endpointTemplate({ ...CPU, deployment: { strategy: 'canary' } }).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({ BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } } }) }),
      });
      endpointTemplate({ ...CPU, deployment: { strategy: 'canary', canaryPercent: 25, waitIntervalSeconds: 600 } }).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({ BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 25 } } }) }),
      });
    });

    it('shifts traffic in linear steps with strategy linear', () => {
      endpointTemplate({ ...CPU, deployment: { strategy: 'linear', linearStepPercent: 30 } }).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({ BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 300, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 30 } } }) }),
      });
    });

    it('updates in place in batches with strategy rolling, rolling back all at once', () => {
      endpointTemplate({ ...CPU, deployment: { strategy: 'rolling', rollingBatchPercent: 20, waitIntervalSeconds: 120, maximumExecutionTimeoutSeconds: 3600 } })
        .hasResourceProperties('AWS::SageMaker::Endpoint', {
          DeploymentConfig: {
            AutoRollbackConfiguration: Match.anyValue(),
            BlueGreenUpdatePolicy: Match.absent(),
            RollingUpdatePolicy: {
              MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 20 },
              RollbackMaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 100 },
              WaitIntervalInSeconds: 120,
              MaximumExecutionTimeoutInSeconds: 3600,
            },
          },
        });
    });

    it('defaults the rolling batch to 25% of capacity', () => {
      endpointTemplate({ ...CPU, deployment: { strategy: 'rolling' } }).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({ RollingUpdatePolicy: Match.objectLike({ MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 25 } }) }),
      });
    });

    it('rolls back on the latency, 5XX and 4XX-rate alarms, not on the GPU alarms', () => {
      const { stack, endpoint } = newEndpoint(GPU);
      expect(Object.keys(endpoint.alarms).sort()).toEqual(['gpuMemoryUtilization', 'gpuUtilization', 'invocation5xxErrors', 'latency', 'rate4xx']);
      const ref = (a: cloudwatch.IAlarm) => ({ AlarmName: { Ref: logicalId(stack, a) } });
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', {
        DeploymentConfig: Match.objectLike({
          AutoRollbackConfiguration: { Alarms: [ref(endpoint.alarms.latency), ref(endpoint.alarms.invocation5xxErrors), ref(endpoint.alarms.rate4xx)] },
        }),
      });
      expect(endpoint.rollbackAlarms).toEqual([endpoint.alarms.latency, endpoint.alarms.invocation5xxErrors, endpoint.alarms.rate4xx]);
    });

    it('has no AutoRollbackConfiguration when autoRollback is false, but keeps the alarms', () => {
      const { stack, endpoint } = newEndpoint({ ...CPU, deployment: { autoRollback: false } });
      expect(endpoint.rollbackAlarms).toEqual([]);
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: Match.objectLike({ AutoRollbackConfiguration: Match.absent() }) });
      t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    });
  });

  describe('scaling', () => {
    it('registers a scalable target with min/max, the SageMaker service-linked role and the variant resource id', () => {
      const { stack } = newEndpoint({ ...CPU, endpointName: 'churn', scaling: { minInstances: 2, maxInstances: 6 } });
      Template.fromStack(stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 6,
        ServiceNamespace: 'sagemaker',
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        ResourceId: 'endpoint/churn/variant/AllTraffic',
        RoleARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint`]] },
      });
    });

    it('registers the scalable target only once the endpoint exists', () => {
      const { stack, endpoint } = newEndpoint({ ...CPU, scaling: { maxInstances: 3 } });
      Template.fromStack(stack).hasResource('AWS::ApplicationAutoScaling::ScalableTarget', { DependsOn: Match.arrayWith([stack.getLogicalId(endpoint.cfnEndpoint)]) });
    });

    it('tracks invocations per instance with the target value and cooldowns', () => {
      const t = endpointTemplate({ ...CPU, scaling: { maxInstances: 4, targetInvocationsPerInstance: 250, scaleInCooldownSeconds: 600, scaleOutCooldownSeconds: 30 } });
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          TargetValue: 250,
          ScaleInCooldown: 600,
          ScaleOutCooldown: 30,
        },
      });
    });

    it('tracks GPUUtilization at the per-GPU target times the GPU count (4-GPU ml.g5.12xlarge)', () => {
      const { stack } = newEndpoint({ ...GPU4, endpointName: 'llm', scaling: { maxInstances: 4, targetGpuUtilizationPercent: 60 } });
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: {
          CustomizedMetricSpecification: {
            MetricName: 'GPUUtilization',
            Namespace: '/aws/sagemaker/Endpoints',
            Statistic: 'Average',
            Dimensions: [{ Name: 'EndpointName', Value: 'llm' }, { Name: 'VariantName', Value: 'AllTraffic' }],
          },
          TargetValue: 240,
          ScaleInCooldown: 300,
          ScaleOutCooldown: 60,
        },
      });
    });

    it('creates no scalable target when maxInstances equals minInstances', () => {
      const { endpoint, stack } = newEndpoint({ ...CPU, scaling: { minInstances: 2, maxInstances: 2 } });
      expect(endpoint.scalableTarget).toBeUndefined();
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InitialInstanceCount: 2 })] });
    });

    it('creates no scalable target without scaling settings, and starts one instance', () => {
      const t = endpointTemplate(CPU);
      t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InitialInstanceCount: 1 })] });
    });

    it('starts initialInstances instances', () => {
      endpointTemplate({ ...CPU, scaling: { minInstances: 1, maxInstances: 5, initialInstances: 3 } })
        .hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InitialInstanceCount: 3 })] });
    });
  });

  describe('alarms', () => {
    it('alarms on p99 ModelLatency with the threshold in microseconds', () => {
      endpointTemplate({ ...CPU, endpointName: 'churn', alarms: { latencyP99Ms: 250 } }).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SageMaker',
        MetricName: 'ModelLatency',
        ExtendedStatistic: 'p99',
        Threshold: 250_000,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }],
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
      });
    });

    it('alarms when Invocation5XXErrors reach the threshold in one period', () => {
      endpointTemplate({ ...CPU, alarms: { invocation5xxErrors: 7, periodSeconds: 300, evaluationPeriods: 4, datapointsToAlarm: 2 } }).hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocation5XXErrors',
        Statistic: 'Sum',
        Threshold: 7,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Period: 300,
        EvaluationPeriods: 4,
        DatapointsToAlarm: 2,
      });
    });

    it('alarms on the 4XX rate as a math expression over 4XX errors and invocations', () => {
      endpointTemplate({ ...CPU, alarms: { rate4xxPercent: 12.5 } }).hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 12.5,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(invocations > 0, 100 * errors4xx / invocations, 0)', ReturnData: true }),
          Match.objectLike({ Id: 'errors4xx', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Invocation4XXErrors', Namespace: 'AWS/SageMaker' }), Stat: 'Sum' }) }),
          Match.objectLike({ Id: 'invocations', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Invocations', Namespace: 'AWS/SageMaker' }), Stat: 'Sum' }) }),
        ]),
      });
    });

    it('alarms on GPU utilization and GPU memory at the per-GPU threshold times the GPU count', () => {
      const t = endpointTemplate({ ...GPU4, alarms: { gpuUtilizationPercent: 80, gpuMemoryUtilizationPercent: 85 } });
      t.resourceCountIs('AWS::CloudWatch::Alarm', 5);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: '/aws/sagemaker/Endpoints', MetricName: 'GPUUtilization', Statistic: 'Average', Threshold: 320 });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: '/aws/sagemaker/Endpoints', MetricName: 'GPUMemoryUtilization', Statistic: 'Average', Threshold: 340 });
    });

    it('has no GPU alarms on CPU, Inferentia or serverless endpoints', () => {
      for (const input of [CPU, { compute: { instanceType: 'ml.inf2.xlarge' } }, SERVERLESS]) {
        const t = endpointTemplate(input);
        t.resourceCountIs('AWS::CloudWatch::Alarm', 3);
        expect(t.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: Match.stringLikeRegexp('^GPU') } })).toEqual({});
      }
    });

    it('sends alarm and OK notifications to the given topic, and creates no topic', () => {
      const { stack } = newStack();
      const topic = new sns.Topic(stack, 'Ops');
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...GPU, alarmTopic: topic }));
      const t = Template.fromStack(stack);
      const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) };
      t.resourceCountIs('AWS::SNS::Topic', 1);
      const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(5);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
        expect(alarm.Properties.OKActions).toEqual([topicRef]);
      }
    });

    it('creates a KMS-encrypted topic that CloudWatch may use when no topic is given', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const t = Template.fromStack(stack);
      const keyId = logicalId(stack, endpoint.encryptionKey);
      t.resourceCountIs('AWS::SNS::Topic', 1);
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      t.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
      });
      const topicRef = { Ref: logicalId(stack, endpoint.alarmTopic) };
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', AlarmActions: [topicRef], OKActions: [topicRef] });
    });
  });

  describe('execution role', () => {
    it('creates a role trusted by sagemaker.amazonaws.com, without AWS managed policies', () => {
      const t = endpointTemplate(CPU);
      t.resourceCountIs('AWS::IAM::Role', 1);
      t.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] },
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
    });

    it('keeps its permissions in one customer-managed policy attached to the role, never an inline policy', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
      t.resourceCountIs('AWS::IAM::Policy', 0);
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: [{ Ref: logicalId(stack, endpoint.role) }] });
    });

    it('grants no wildcard action anywhere in the stack', () => {
      const statements = allStatements(endpointTemplate({ ...GPU, scaling: { maxInstances: 2 } }));
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) expect(actionsOf(s)).not.toContain('*');
    });

    it("allows logging only to the endpoint's own log group", () => {
      endpointTemplate({ ...CPU, endpointName: 'churn' }).hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Sid: 'EndpointLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/churn`]] },
              { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:us-east-1:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/churn:*`]] },
            ],
          }]),
        },
      });
    });

    it('allows s3:PutObject only under the capture prefix, and encryption with the endpoint key', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const bucketId = logicalId(stack, endpoint.dataCaptureBucket!);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Sid: 'WriteDataCapture', Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/datacapture/*']] } },
            Match.objectLike({ Action: Match.arrayWith(['kms:GenerateDataKey']), Resource: { 'Fn::GetAtt': [logicalId(stack, endpoint.encryptionKey), 'Arn'] } }),
          ]),
        },
      });
    });

    it("allows pulling only from the image's ECR repository", () => {
      endpointTemplate(CPU).hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Sid: 'PullModelImage',
            Effect: 'Allow',
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:683313688378:repository/sagemaker-xgboost']] },
          }]),
        },
      });
    });

    it('attaches the managed policy to a given role and creates no role', () => {
      const { stack } = newStack();
      const role = iam.Role.fromRoleArn(stack, 'Existing', `arn:aws:iam::${ACCOUNT}:role/ml-serving`);
      const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, role }));
      expect(endpoint.role).toBe(role);
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::IAM::Role', 0);
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['ml-serving'] });
      t.hasResourceProperties('AWS::SageMaker::Model', { ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ml-serving` });
    });

    it('attaches nothing to an immutable role and warns with the actions the user must grant', () => {
      const { stack } = newStack();
      const role = iam.Role.fromRoleArn(stack, 'Existing', `arn:aws:iam::${ACCOUNT}:role/ml-serving`, { mutable: false });
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, role }));
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
      t.resourceCountIs('AWS::IAM::Policy', 0);
      t.resourceCountIs('AWS::IAM::Role', 0);
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Ep/ExecutionRole', Match.stringLikeRegexp('cdk-mlops:immutableRole'));
      expect(warnings).toHaveLength(1);
      const text = JSON.stringify(warnings[0].entry.data);
      for (const action of ['logs:PutLogEvents', 's3:PutObject', 'kms:GenerateDataKey', 'ecr:BatchGetImage']) expect(text).toContain(action);
      t.hasResourceProperties('AWS::SageMaker::Model', { ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ml-serving` });
    });

    it("attaches nothing to another account's role either", () => {
      const { stack } = newStack();
      const role = iam.Role.fromRoleArn(stack, 'Existing', 'arn:aws:iam::210987654321:role/ml-serving');
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, role }));
      Template.fromStack(stack).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
      expect(Annotations.fromStack(stack).findWarning('/Stack/Ep/ExecutionRole', Match.stringLikeRegexp('cdk-mlops:immutableRole'))).toHaveLength(1);
    });

    it('creates the model only after the role and its policy', () => {
      const { stack, endpoint } = newEndpoint(CPU);
      const t = Template.fromStack(stack);
      const policy = only(t, 'AWS::IAM::ManagedPolicy').id;
      t.hasResource('AWS::SageMaker::Model', { DependsOn: Match.arrayWith([policy, logicalId(stack, endpoint.role)]) });
    });
  });

  describe('VPC', () => {
    function vpcTemplate(extra: Record<string, unknown> = {}) {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, vpc, ...extra }));
      return { stack, vpc, t: Template.fromStack(stack) };
    }

    it("places the model in the VPC's private subnets with a new security group", () => {
      const { stack, vpc, t } = vpcTemplate();
      const sg = only(t, 'AWS::EC2::SecurityGroup');
      t.hasResourceProperties('AWS::SageMaker::Model', {
        VpcConfig: {
          SecurityGroupIds: [{ 'Fn::GetAtt': [sg.id, 'GroupId'] }],
          Subnets: vpc.privateSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) })),
        },
      });
    });

    it('gives the new security group no inbound rule', () => {
      const { t } = vpcTemplate();
      t.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.absent() });
      t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    });

    it('lets the role manage network interfaces in the VPC', () => {
      const { t } = vpcTemplate();
      t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'VpcNetworkInterfaces', Action: Match.arrayWith(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces']), Resource: '*' })]) },
      });
    });

    it('uses given security groups and subnets instead', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, { name: 'Pub', subnetType: ec2.SubnetType.PUBLIC }] });
      const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, vpc, securityGroups: [sg], vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }));
      const t = Template.fromStack(stack);
      t.resourceCountIs('AWS::EC2::SecurityGroup', 1);
      t.hasResourceProperties('AWS::SageMaker::Model', {
        VpcConfig: {
          SecurityGroupIds: [{ 'Fn::GetAtt': [stack.getLogicalId(sg.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] }],
          Subnets: vpc.isolatedSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) })),
        },
      });
    });

    it('has no VpcConfig and no network interface statement without a VPC', () => {
      const t = endpointTemplate(CPU);
      t.hasResourceProperties('AWS::SageMaker::Model', { VpcConfig: Match.absent() });
      expect(allStatements(t).filter((s) => s.Sid === 'VpcNetworkInterfaces')).toEqual([]);
    });
  });

  describe('grants and metrics', () => {
    it('grants InvokeEndpoint, InvokeEndpointAsync and InvokeEndpointWithResponseStream on the lowercased endpoint ARN', () => {
      const { stack } = newStack();
      const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, endpointName: 'Churn-Prod' }));
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      endpoint.grantInvoke(caller);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: stack.getLogicalId(caller.node.defaultChild as iam.CfnRole) }],
        PolicyDocument: {
          Statement: [{
            Effect: 'Allow',
            Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync', 'sagemaker:InvokeEndpointWithResponseStream'],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:us-east-1:${ACCOUNT}:endpoint/churn-prod`]] },
          }],
        },
      });
    });

    it('returns invocation metrics in AWS/SageMaker with the endpoint and variant dimensions', () => {
      const { endpoint } = newEndpoint({ ...CPU, endpointName: 'churn', variantName: 'Blue' });
      const invocations = endpoint.metricInvocations();
      expect(invocations).toMatchObject({ namespace: 'AWS/SageMaker', metricName: 'Invocations', statistic: 'Sum', dimensions: { EndpointName: 'churn', VariantName: 'Blue' } });
      expect(endpoint.metricModelLatency()).toMatchObject({ namespace: 'AWS/SageMaker', metricName: 'ModelLatency', statistic: 'p99', dimensions: { EndpointName: 'churn', VariantName: 'Blue' } });
      expect(endpoint.metricInvocation5XXErrors()).toMatchObject({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors' });
      expect(endpoint.metricOverheadLatency()).toMatchObject({ namespace: 'AWS/SageMaker', metricName: 'OverheadLatency' });
    });

    it('returns instance metrics in /aws/sagemaker/Endpoints', () => {
      const { endpoint } = newEndpoint({ ...GPU, endpointName: 'churn' });
      expect(endpoint.metricGpuUtilization()).toMatchObject({ namespace: '/aws/sagemaker/Endpoints', metricName: 'GPUUtilization', statistic: 'Average', dimensions: { EndpointName: 'churn', VariantName: 'AllTraffic' } });
      expect(endpoint.metricGpuMemoryUtilization()).toMatchObject({ namespace: '/aws/sagemaker/Endpoints', metricName: 'GPUMemoryUtilization' });
      expect(endpoint.metricCpuUtilization()).toMatchObject({ namespace: '/aws/sagemaker/Endpoints', metricName: 'CPUUtilization' });
      expect(endpoint.metricMemoryUtilization()).toMatchObject({ namespace: '/aws/sagemaker/Endpoints', metricName: 'MemoryUtilization' });
      expect(endpoint.metric('DiskUtilization')).toMatchObject({ namespace: '/aws/sagemaker/Endpoints' });
    });

    it('lets metric options override the statistic and period', () => {
      const { endpoint } = newEndpoint(CPU);
      const m = endpoint.metricModelLatency({ statistic: 'p50', period: Duration.minutes(5) });
      expect(m.statistic).toBe('p50');
      expect(m.period.toSeconds()).toBe(300);
      expect(endpoint.metricModelLatency().period.toSeconds()).toBe(60);
    });

    it('imports an endpoint by name for grants and metrics', () => {
      const { stack } = newStack();
      const imported = ModelEndpoint.fromEndpointName(stack, 'Imported', 'Fraud-Detector');
      expect(imported.variantName).toBe('AllTraffic');
      expect(imported.metricInvocations()).toMatchObject({ namespace: 'AWS/SageMaker', dimensions: { EndpointName: 'Fraud-Detector', VariantName: 'AllTraffic' } });
      expect(imported.metricGpuUtilization()).toMatchObject({ namespace: '/aws/sagemaker/Endpoints', metricName: 'GPUUtilization' });
      const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      imported.grantInvoke(caller);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: [Match.objectLike({ Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:us-east-1:${ACCOUNT}:endpoint/fraud-detector`]] } })] },
      });
    });

    it('imports an endpoint with its variant name', () => {
      const { stack } = newStack();
      const imported = ModelEndpoint.fromEndpointAttributes(stack, 'Imported', { endpointName: 'fraud', variantName: 'Green' });
      expect(imported.metricModelLatency().dimensions).toEqual({ EndpointName: 'fraud', VariantName: 'Green' });
    });
  });

  describe('dashboard', () => {
    it('creates a dashboard by default', () => {
      const { endpoint, stack } = newEndpoint(GPU);
      expect(endpoint.dashboard).toBeDefined();
      Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    });

    it('creates no dashboard with dashboard: false', () => {
      const { endpoint, stack } = newEndpoint({ ...CPU, dashboard: false });
      expect(endpoint.dashboard).toBeUndefined();
      Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    });
  });

  describe('validation', () => {
    const reject = (input: Record<string, unknown>, ...issues: ExpectedIssue[]) =>
      expectValidationError(() => newEndpoint(input), EP, ...issues);

    const cases: [string, Record<string, unknown>, ExpectedIssue][] = [
      // scaling
      ['rejects a maxInstances below minInstances', { ...CPU, scaling: { minInstances: 3, maxInstances: 2 } }, { path: 'scaling.maxInstances', message: 'must be ≥ minInstances', got: '2', expected: '≥ 3' }],
      ['rejects an initialInstances below minInstances', { ...CPU, scaling: { minInstances: 2, maxInstances: 4, initialInstances: 1 } }, { path: 'scaling.initialInstances', message: 'must be ≥ minInstances', got: '1', expected: '≥ 2' }],
      ['rejects an initialInstances above maxInstances', { ...CPU, scaling: { minInstances: 2, maxInstances: 4, initialInstances: 5 } }, { path: 'scaling.initialInstances', message: 'must be ≤ maxInstances', got: '5', expected: '≤ 4' }],
      ['rejects an initialInstances above an implied maxInstances (= minInstances)', { ...CPU, scaling: { minInstances: 2, initialInstances: 3 } }, { path: 'scaling.initialInstances', got: '3', expected: '≤ 2' }],
      ['rejects a minInstances of 0, pointing to async.scaleToZero and shared endpoints', { ...CPU, scaling: { minInstances: 0 } }, { path: 'scaling.minInstances', message: 'must be at least 1 on an endpoint of its own (a real-time variant always keeps an instance): to scale to zero, use endpoint.async.scaleToZero (asynchronous inference), or serve the model from a shared endpoint', got: '0', expected: '≥ 1' }],
      ['rejects a maxInstances above 1000', { ...CPU, scaling: { maxInstances: 1001 } }, { path: 'scaling.maxInstances', message: 'is too large', got: '1001', expected: '≤ 1000' }],
      ['rejects a fractional minInstances', { ...CPU, scaling: { minInstances: 1.5 } }, { path: 'scaling.minInstances', got: '1.5', expected: 'a whole number' }],
      ['rejects a targetInvocationsPerInstance of 0', { ...CPU, scaling: { targetInvocationsPerInstance: 0 } }, { path: 'scaling.targetInvocationsPerInstance', got: '0', expected: '≥ 1' }],
      ['rejects a targetGpuUtilizationPercent above 100', { ...GPU, scaling: { maxInstances: 2, targetGpuUtilizationPercent: 120 } }, { path: 'scaling.targetGpuUtilizationPercent', got: '120', expected: '≤ 100' }],
      ['rejects a scale-in cooldown above an hour', { ...CPU, scaling: { scaleInCooldownSeconds: 3601 } }, { path: 'scaling.scaleInCooldownSeconds', got: '3601', expected: '≤ 3600' }],
      ['rejects a negative scale-out cooldown', { ...CPU, scaling: { scaleOutCooldownSeconds: -1 } }, { path: 'scaling.scaleOutCooldownSeconds', got: '-1', expected: '≥ 0' }],
      ['rejects targetGpuUtilizationPercent on a CPU type', { ...CPU, scaling: { maxInstances: 2, targetGpuUtilizationPercent: 50 } }, { path: 'scaling.targetGpuUtilizationPercent', message: 'needs an NVIDIA GPU instance', got: "'ml.m5.large'", expected: 'a GPU instance type or accelerator intent' }],
      ['rejects targetGpuUtilizationPercent on an Inferentia type', { compute: { instanceType: 'ml.inf2.xlarge' }, scaling: { maxInstances: 2, targetGpuUtilizationPercent: 50 } }, { path: 'scaling.targetGpuUtilizationPercent', got: "'ml.inf2.xlarge'", expected: 'a GPU instance type' }],
      // compute
      ['rejects an unknown instance type with a did-you-mean', { compute: { instanceType: 'ml.g5.xlarg' } }, { path: 'compute.instanceType', message: "did you mean 'ml.g5.xlarge'?", got: "'ml.g5.xlarg'", expected: 'a SageMaker instance type' }],
      ['rejects an unknown instance type with nothing close', { compute: { instanceType: 'quantum-computer' } }, { path: 'compute.instanceType', message: 'is not a SageMaker instance type', got: "'quantum-computer'", expected: 'a SageMaker instance type' }],
      ['rejects a training-only instance type (ml.trn1.2xlarge)', { compute: { instanceType: 'ml.trn1.2xlarge' } }, { path: 'compute.instanceType', message: 'is not offered for inference', got: "'ml.trn1.2xlarge'", expected: 'a type SageMaker offers for inference' }],
      ['rejects an instance type SageMaker does not host (ml.p3dn.24xlarge)', { compute: { instanceType: 'ml.p3dn.24xlarge' } }, { path: 'compute.instanceType', message: 'is not offered for inference', got: "'ml.p3dn.24xlarge'" }],
      ['rejects an accelerator no inference type carries (aws-trainium)', { compute: { accelerator: { type: 'aws-trainium' } } }, { path: 'compute.accelerator', message: 'supports inference', got: '1 x aws-trainium, for inference', expected: 'an accelerator type offered for inference' }],
      ['rejects more accelerators than one instance has', { compute: { accelerator: { type: 'nvidia-t4', count: 16 } } }, { path: 'compute.accelerator', message: 'the most on one instance is 4', got: '16 x nvidia-t4', expected: 'at most 4 x nvidia-t4' }],
      ['rejects an accelerator intent with more memory than any type has', { compute: { accelerator: { type: 'nvidia-a10g' }, memoryGiB: 5000 } }, { path: 'compute.accelerator', message: 'the closest is ml.g5.48xlarge', got: '1 x nvidia-a10g, ≥ 5000 GiB memory', expected: 'at most 768 GiB memory' }],
      ['rejects a CPU intent no type satisfies', { compute: { vCpus: 1000 } }, { path: 'compute', message: 'no SageMaker instance type has no accelerator, ≥ 1000 vCPUs', got: 'no accelerator, ≥ 1000 vCPUs', expected: 'at most 192 vCPUs' }],
      ['rejects an unknown accelerator type', { compute: { accelerator: { type: 'nvidia-a10' } } }, { path: 'compute.accelerator.type', message: 'is not an accepted value', got: "'nvidia-a10'", expected: "one of 'nvidia-t4', 'nvidia-a10g'" }],
      ['rejects an accelerator count above 16', { compute: { accelerator: { type: 'nvidia-h100', count: 17 } } }, { path: 'compute.accelerator.count', got: '17', expected: '≤ 16' }],
      ['rejects a memoryGiB below 0.5', { compute: { memoryGiB: 0.25 } }, { path: 'compute.memoryGiB', got: '0.25', expected: '≥ 0.5' }],
      ['rejects a vCpus of 0', { compute: { vCpus: 0 } }, { path: 'compute.vCpus', got: '0', expected: '≥ 1' }],
      ['rejects an instance type that is not a string', { compute: { instanceType: 5 } }, { path: 'compute.instanceType', message: 'has the wrong type', got: '5', expected: 'a string' }],
      ['rejects compute that says nothing', { compute: {} }, { path: 'compute', message: 'says nothing about compute', got: 'nothing', expected: 'exactly one of instanceType, an accelerator/memoryGiB/vCpus intent, or serverless' }],
      ['rejects a missing compute', {}, { path: 'compute', message: 'is required', got: 'nothing', expected: 'an object' }],
      ['rejects compute mixing an instance type and serverless', { compute: { instanceType: 'ml.m5.large', serverless: { memoryMiB: 2048 } } }, { path: 'compute', message: 'mixes ways of choosing compute', got: 'instanceType and serverless', expected: 'exactly one of' }],
      ['rejects compute mixing an instance type and an accelerator intent', { compute: { instanceType: 'ml.g5.xlarge', accelerator: { type: 'nvidia-a10g' } } }, { path: 'compute', message: 'mixes ways of choosing compute', got: 'instanceType and accelerator/memoryGiB/vCpus' }],
      ['rejects an intent made of deploy-time values', { compute: { accelerator: { type: 'nvidia-a10g', count: 'TOKEN' } } }, { path: 'compute', message: 'cannot resolve an intent made of deploy-time values', got: 'an unresolved token', expected: 'literal numbers, or an explicit instanceType' }],
      // serverless
      ['rejects scaling on a serverless endpoint', { ...SERVERLESS, scaling: { minInstances: 1 } }, { path: 'scaling', message: 'does not apply to a serverless endpoint', got: 'scaling settings', expected: 'compute.serverless.maxConcurrency instead' }],
      ['rejects dataCapture.enabled true on a serverless endpoint', { ...SERVERLESS, dataCapture: { enabled: true } }, { path: 'dataCapture.enabled', message: 'is not supported by serverless inference', got: 'true', expected: 'false, or an instance-backed endpoint' }],
      ['rejects networkIsolation true on a serverless endpoint', { ...SERVERLESS, networkIsolation: true }, { path: 'networkIsolation', message: 'is not supported by serverless inference', got: 'true', expected: 'false, or an instance-backed endpoint' }],
      ['rejects strategy canary on a serverless endpoint', { ...SERVERLESS, deployment: { strategy: 'canary' } }, { path: 'deployment.strategy', message: 'is not supported by serverless inference', got: "'canary'", expected: "'all-at-once'" }],
      ['rejects strategy rolling on a serverless endpoint', { ...SERVERLESS, deployment: { strategy: 'rolling' } }, { path: 'deployment.strategy', got: "'rolling'", expected: "'all-at-once'" }],
      ['rejects provisionedConcurrency above maxConcurrency', { compute: { serverless: { memoryMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 6 } } }, { path: 'compute.serverless.provisionedConcurrency', message: 'must be ≤ maxConcurrency', got: '6', expected: '≤ 5' }],
      ['rejects provisionedConcurrency above the default maxConcurrency of 20', { compute: { serverless: { memoryMiB: 2048, provisionedConcurrency: 21 } } }, { path: 'compute.serverless.provisionedConcurrency', got: '21', expected: '≤ 20' }],
      ['rejects a serverless memory size SageMaker does not offer', { compute: { serverless: { memoryMiB: 1000 } } }, { path: 'compute.serverless.memoryMiB', message: 'is not an accepted value', got: '1000' }],
      ['rejects a serverless endpoint without a memory size', { compute: { serverless: {} } }, { path: 'compute.serverless.memoryMiB', got: 'nothing' }],
      ['rejects a serverless maxConcurrency above 200', { compute: { serverless: { memoryMiB: 2048, maxConcurrency: 201 } } }, { path: 'compute.serverless.maxConcurrency', got: '201', expected: '≤ 200' }],
      ['rejects a serverless provisionedConcurrency of 0', { compute: { serverless: { memoryMiB: 2048, provisionedConcurrency: 0 } } }, { path: 'compute.serverless.provisionedConcurrency', got: '0', expected: '≥ 1' }],
      // deployment
      ['rejects canaryPercent with strategy linear', { ...CPU, deployment: { strategy: 'linear', canaryPercent: 10 } }, { path: 'deployment.canaryPercent', message: "only applies to strategy 'canary'", got: "canaryPercent with strategy 'linear'", expected: "strategy 'canary', or no canaryPercent" }],
      ['rejects linearStepPercent with strategy canary', { ...CPU, deployment: { strategy: 'canary', linearStepPercent: 20 } }, { path: 'deployment.linearStepPercent', message: "only applies to strategy 'linear'", got: "linearStepPercent with strategy 'canary'", expected: "strategy 'linear', or no linearStepPercent" }],
      ['rejects rollingBatchPercent with the default strategy all-at-once', { ...CPU, deployment: { rollingBatchPercent: 10 } }, { path: 'deployment.rollingBatchPercent', message: "only applies to strategy 'rolling'", got: "rollingBatchPercent with strategy 'all-at-once'", expected: "strategy 'rolling', or no rollingBatchPercent" }],
      ['rejects an unknown strategy', { ...CPU, deployment: { strategy: 'blue-green' } }, { path: 'deployment.strategy', message: 'is not an accepted value', got: "'blue-green'", expected: "one of 'all-at-once', 'canary', 'linear', 'rolling'" }],
      ['rejects a canaryPercent above 50', { ...CPU, deployment: { strategy: 'canary', canaryPercent: 60 } }, { path: 'deployment.canaryPercent', got: '60', expected: '≤ 50' }],
      ['rejects a linearStepPercent below 10', { ...CPU, deployment: { strategy: 'linear', linearStepPercent: 5 } }, { path: 'deployment.linearStepPercent', got: '5', expected: '≥ 10' }],
      ['rejects a rollingBatchPercent below 5', { ...CPU, deployment: { strategy: 'rolling', rollingBatchPercent: 4 } }, { path: 'deployment.rollingBatchPercent', got: '4', expected: '≥ 5' }],
      ['rejects a waitIntervalSeconds above an hour', { ...CPU, deployment: { waitIntervalSeconds: 3601 } }, { path: 'deployment.waitIntervalSeconds', got: '3601', expected: '≤ 3600' }],
      ['rejects a negative terminationWaitSeconds', { ...CPU, deployment: { terminationWaitSeconds: -5 } }, { path: 'deployment.terminationWaitSeconds', got: '-5', expected: '≥ 0' }],
      ['rejects a maximumExecutionTimeoutSeconds below 600', { ...CPU, deployment: { maximumExecutionTimeoutSeconds: 300 } }, { path: 'deployment.maximumExecutionTimeoutSeconds', got: '300', expected: '≥ 600' }],
      ['rejects a maximumExecutionTimeoutSeconds above 14400', { ...CPU, deployment: { maximumExecutionTimeoutSeconds: 20000 } }, { path: 'deployment.maximumExecutionTimeoutSeconds', got: '20000', expected: '≤ 14400' }],
      ['rejects an autoRollback that is not a boolean', { ...CPU, deployment: { autoRollback: 'yes' } }, { path: 'deployment.autoRollback', message: 'has the wrong type', got: "'yes'", expected: 'true or false' }],
      // alarms
      ['rejects datapointsToAlarm above evaluationPeriods', { ...CPU, alarms: { evaluationPeriods: 3, datapointsToAlarm: 4 } }, { path: 'alarms.datapointsToAlarm', message: 'must be ≤ evaluationPeriods', got: '4', expected: '≤ 3' }],
      ['rejects datapointsToAlarm above the default 5 evaluation periods', { ...CPU, alarms: { datapointsToAlarm: 6 } }, { path: 'alarms.datapointsToAlarm', got: '6', expected: '≤ 5' }],
      ['rejects an alarm period of 90 seconds (not 10, 30 or a multiple of 60)', { ...CPU, alarms: { periodSeconds: 90 } }, { path: 'alarms.periodSeconds', message: 'a multiple of 60', got: '90' }],
      ['rejects an alarm period of 45 seconds', { ...CPU, alarms: { periodSeconds: 45 } }, { path: 'alarms.periodSeconds', got: '45' }],
      ['rejects an alarm period above a day', { ...CPU, alarms: { periodSeconds: 86460 } }, { path: 'alarms.periodSeconds', got: '86460', expected: '≤ 86400' }],
      ['rejects a latencyP99Ms below 1', { ...CPU, alarms: { latencyP99Ms: 0 } }, { path: 'alarms.latencyP99Ms', got: '0', expected: '≥ 1' }],
      ['rejects an invocation5xxErrors of 0', { ...CPU, alarms: { invocation5xxErrors: 0 } }, { path: 'alarms.invocation5xxErrors', got: '0', expected: '≥ 1' }],
      ['rejects a rate4xxPercent above 100', { ...CPU, alarms: { rate4xxPercent: 101 } }, { path: 'alarms.rate4xxPercent', got: '101', expected: '≤ 100' }],
      ['rejects a rate4xxPercent below 0.1', { ...CPU, alarms: { rate4xxPercent: 0.01 } }, { path: 'alarms.rate4xxPercent', got: '0.01', expected: '≥ 0.1' }],
      ['rejects a gpuUtilizationPercent above 100', { ...GPU, alarms: { gpuUtilizationPercent: 150 } }, { path: 'alarms.gpuUtilizationPercent', got: '150', expected: '≤ 100' }],
      ['rejects a gpuMemoryUtilizationPercent of 0', { ...GPU, alarms: { gpuMemoryUtilizationPercent: 0 } }, { path: 'alarms.gpuMemoryUtilizationPercent', got: '0', expected: '≥ 1' }],
      ['rejects evaluationPeriods above 100', { ...CPU, alarms: { evaluationPeriods: 101 } }, { path: 'alarms.evaluationPeriods', got: '101', expected: '≤ 100' }],
      ['rejects a datapointsToAlarm of 0', { ...CPU, alarms: { datapointsToAlarm: 0 } }, { path: 'alarms.datapointsToAlarm', got: '0', expected: '≥ 1' }],
      // data capture
      ['rejects a samplingPercent above 100', { ...CPU, dataCapture: { samplingPercent: 101 } }, { path: 'dataCapture.samplingPercent', got: '101', expected: '≤ 100' }],
      ['rejects a retentionDays of 0', { ...CPU, dataCapture: { retentionDays: 0 } }, { path: 'dataCapture.retentionDays', got: '0', expected: '≥ 1' }],
      ['rejects a retentionDays above ten years', { ...CPU, dataCapture: { retentionDays: 3651 } }, { path: 'dataCapture.retentionDays', got: '3651', expected: '≤ 3650' }],
      ['rejects more than 10 CSV content types', { ...CPU, dataCapture: { csvContentTypes: Array.from({ length: 11 }, (_, i) => `text/csv-${i}`) } }, { path: 'dataCapture.csvContentTypes', got: '11 items', expected: 'at most 10 items' }],
      ['rejects an empty JSON content type', { ...CPU, dataCapture: { jsonContentTypes: [''] } }, { path: 'dataCapture.jsonContentTypes[0]', got: "'' (0 characters)", expected: 'at least 1 characters' }],
      ['rejects a dataCapture.enabled that is not a boolean', { ...CPU, dataCapture: { enabled: 1 } }, { path: 'dataCapture.enabled', got: '1', expected: 'true or false' }],
      // environment, names, keys
      ['rejects an environment variable name starting with a digit', { ...CPU, environment: { '1BAD': 'x' } }, { path: 'environment.1BAD', got: "'1BAD'" }],
      ['rejects more than 100 environment variables', { ...CPU, environment: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`VAR_${i}`, 'x'])) }, { path: 'environment', message: 'has too many variables', got: '101', expected: 'at most 100' }],
      ['rejects an environment value longer than 1024 characters', { ...CPU, environment: { BIG: 'x'.repeat(1025) } }, { path: 'environment.BIG', message: 'is too large', got: `'${'x'.repeat(57)}...' (1025 characters)`, expected: 'at most 1024 characters' }],
      ['rejects a variant name SageMaker does not accept', { ...CPU, variantName: 'all_traffic' }, { path: 'variantName', message: 'is not in the expected format', got: "'all_traffic'", expected: 'a SageMaker name' }],
      ['rejects networkIsolation that is not a boolean', { ...CPU, networkIsolation: 'on' }, { path: 'networkIsolation', got: "'on'", expected: 'true or false' }],
      ['rejects an unknown key with a did-you-mean (scalling)', { ...CPU, scalling: { minInstances: 1 } }, { path: 'scalling', message: "is not a known field; did you mean 'scaling'?", got: "an object with 'minInstances'", expected: "one of 'compute', 'environment', 'variantName', 'scaling'" }],
      ['rejects an unknown nested key with a did-you-mean (scaling.maxInstance)', { ...CPU, scaling: { maxInstance: 3 } }, { path: 'scaling.maxInstance', message: "did you mean 'maxInstances'?", got: '3', expected: "one of 'minInstances', 'maxInstances'" }],
      ['rejects an unknown key nothing resembles, without a suggestion', { ...CPU, qqqqqqqq: 1 }, { path: 'qqqqqqqq', message: 'is not a known field', got: '1', expected: "one of 'compute'" }],
      // AWS-only props
      ['rejects a VPC on a serverless endpoint', { ...SERVERLESS, vpc: 'VPC' }, { path: 'vpc', message: 'is not supported by serverless inference', got: 'a VPC', expected: 'no vpc, or an instance-backed endpoint' }],
      ['rejects subnets without a VPC', { ...CPU, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, { path: 'vpcSubnets', message: 'needs a vpc', got: 'subnets or security groups without a vpc', expected: 'a vpc as well' }],
      ['rejects security groups without a VPC', { ...CPU, securityGroups: 'SG' }, { path: 'securityGroups', message: 'needs a vpc', expected: 'a vpc as well' }],
      ['rejects an endpoint name with an underscore', { ...CPU, endpointName: 'churn_prod' }, { path: 'endpointName', message: 'is not a SageMaker endpoint name', got: "'churn_prod'", expected: '1-63 letters, digits and hyphens' }],
      ['rejects an endpoint name longer than 63 characters', { ...CPU, endpointName: 'e'.repeat(64) }, { path: 'endpointName', message: 'is too long for a SageMaker endpoint name (at most 63 characters)', got: `'${'e'.repeat(57)}...' (64 characters)`, expected: '1-63 letters, digits and hyphens' }],
      ['rejects an endpoint name ending with a hyphen', { ...CPU, endpointName: 'churn-' }, { path: 'endpointName', got: "'churn-'" }],
    ];

    it.each(cases)('%s', (_name, input, issue) => {
      const { stack } = newStack();
      // Placeholders for construct-valued props, created in the test's own stack.
      const props: Record<string, unknown> = { ...input };
      if (props.vpc === 'VPC') props.vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
      if (props.securityGroups === 'SG') {
        const vpc = new ec2.Vpc(stack, 'OtherVpc', { maxAzs: 1, natGateways: 0 });
        props.securityGroups = [new ec2.SecurityGroup(stack, 'Sg', { vpc })];
      }
      const compute = props.compute as { accelerator?: { count?: unknown } } | undefined;
      if (compute?.accelerator?.count === 'TOKEN') {
        props.compute = { accelerator: { ...compute.accelerator, count: new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber } };
      }
      expectValidationError(() => new ModelEndpoint(stack, 'Ep', endpointProps(props)), EP, issue);
    });

    it('reports several problems at once in one error', () => {
      const err = reject(
        { ...CPU, scaling: { minInstances: 3, maxInstances: 2 }, deployment: { strategy: 'linear', canaryPercent: 10 }, alarms: { evaluationPeriods: 2, datapointsToAlarm: 3 }, scalling: {} },
        { path: 'scaling.maxInstances', got: '2', expected: '≥ 3' },
        { path: 'deployment.canaryPercent', got: "canaryPercent with strategy 'linear'" },
        { path: 'alarms.datapointsToAlarm', got: '3', expected: '≤ 2' },
        { path: 'scalling', message: "did you mean 'scaling'?" },
      );
      expect(err.message).toContain(`${EP}: 4 problems`);
      expect(err.issues.map((i) => i.path).sort()).toEqual(['alarms.datapointsToAlarm', 'deployment.canaryPercent', 'scaling.maxInstances', 'scalling']);
    });

    it('reports spec problems and AWS-only problems together', () => {
      const err = reject(
        { ...CPU, scaling: { minInstances: 3, maxInstances: 2 }, endpointName: '-bad', vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } },
        { path: 'scaling.maxInstances', got: '2' },
        { path: 'endpointName', got: "'-bad'" },
        { path: 'vpcSubnets', message: 'needs a vpc' },
      );
      expect(err.issues).toHaveLength(3);
    });

    it('names the full construct path of a nested endpoint', () => {
      const { stack } = newStack();
      const parent = new Construct(stack, 'Platform');
      expectValidationError(
        () => new ModelEndpoint(parent, 'Churn', endpointProps({ ...CPU, scaling: { minInstances: 2, maxInstances: 1 } })),
        "ModelEndpoint 'Churn' (Stack/Platform/Churn)",
        { path: 'scaling.maxInstances', got: '1', expected: '≥ 2' },
      );
    });

    it('never lets a raw zod error through for a wholly wrong input', () => {
      const { stack } = newStack();
      expect(() => new ModelEndpoint(stack, 'Ep', endpointProps({ compute: 'ml.m5.large', scaling: 3, alarms: [] }))).toThrow(MlopsValidationError);
    });

    it('creates nothing in the scope when it rejects the props', () => {
      const { stack } = newStack();
      expect(() => new ModelEndpoint(stack, 'Ep', endpointProps({ compute: {} }))).toThrow(MlopsValidationError);
      expect(stack.node.tryFindChild('Ep')).toBeUndefined();
    });
  });

  describe('validation messages (expected values)', () => {
    // These name what would have been accepted; see the bug list in the report.
    it('lists every serverless memory size SageMaker accepts when rejecting one', () => {
      const err = expectValidationError(() => newEndpoint({ compute: { serverless: { memoryMiB: 1000 } } }), EP,
        { path: 'compute.serverless.memoryMiB', message: 'is not an accepted value', got: '1000', expected: 'one of 1024, 2048, 3072, 4096, 5120, 6144' });
      expect(err.issues).toEqual([{ path: 'compute.serverless.memoryMiB', message: 'is not an accepted value', got: '1000', expected: 'one of 1024, 2048, 3072, 4096, 5120, 6144' }]);
    });

    it('says an alarm period must be 10, 30 or a multiple of 60, in one issue', () => {
      const err = expectValidationError(() => newEndpoint({ ...CPU, alarms: { periodSeconds: 45 } }), EP, { path: 'alarms.periodSeconds', got: '45' });
      expect(err.issues).toEqual([{ path: 'alarms.periodSeconds', message: 'is not a period CloudWatch alarms accept', got: '45', expected: '10, 30 or a multiple of 60' }]);
    });

    it.each([
      [5, '≥ 10'],
      [90, '10, 30 or a multiple of 60'],
      [86460, '≤ 86400'],
    ])('rejects an alarm period of %i seconds in one issue (expected %s)', (periodSeconds, expected) => {
      const err = expectValidationError(() => newEndpoint({ ...CPU, alarms: { periodSeconds } }), EP, { path: 'alarms.periodSeconds', got: String(periodSeconds), expected });
      expect(err.issues).toHaveLength(1);
    });

    it.each([10, 30, 60, 300, 86400])('accepts an alarm period of %i seconds', (periodSeconds) => {
      expect(newEndpoint({ ...CPU, alarms: { periodSeconds } }).endpoint.spec.alarms.periodSeconds).toBe(periodSeconds);
    });

    it('says what an environment variable name must look like', () => {
      const err = expectValidationError(() => newEndpoint({ ...CPU, environment: { '1BAD': 'x' } }), EP, { path: 'environment.1BAD', got: "'1BAD'" });
      expect(err.issues).toEqual([{
        path: 'environment.1BAD', message: 'is not in the expected format', got: "'1BAD'",
        expected: 'an environment variable name: letters, digits and _ , not starting with a digit',
      }]);
      expect(err.message).not.toContain('Invalid key in record');
    });
  });

  describe('deploy-time values', () => {
    it('scales up to a deploy-time maxInstances (the parameter reaches the scalable target)', () => {
      const { stack } = newStack();
      const max = new CfnParameter(stack, 'MaxInstances', { type: 'Number' });
      const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, scaling: { minInstances: 2, maxInstances: max.valueAsNumber } }));
      expect(endpoint.scalableTarget).toBeDefined();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: { Ref: 'MaxInstances' } });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'TargetTrackingScaling' });
    });

    it('accepts a token instance type and renders it as given', () => {
      const { stack } = newStack();
      const type = new CfnParameter(stack, 'InstanceType', { type: 'String' });
      const endpoint = new ModelEndpoint(stack, 'Ep', endpointProps({ compute: { instanceType: type.valueAsString }, scaling: { maxInstances: 2, targetGpuUtilizationPercent: 50 } }));
      expect(endpoint.instanceType).toBe(type.valueAsString);
    });

    it('accepts a token endpoint name', () => {
      const { stack } = newStack();
      const name = new CfnParameter(stack, 'EndpointName', { type: 'String' });
      new ModelEndpoint(stack, 'Ep', endpointProps({ ...CPU, endpointName: name.valueAsString }));
      Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: { Ref: 'EndpointName' } });
    });
  });
});
