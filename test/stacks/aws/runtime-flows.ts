/**
 * The runtime data flows a synthesized platform sets up, read from its templates (never from the
 * spec): who reads or writes what, with which key, as the services will do it once deployed. Each
 * flow is a list of requests the IamWorld evaluates; all must be allowed.
 */
import { IamWorld, Request } from './iam-paths';

export type FlowKind = 'endpoint' | 'dataCapture' | 'asyncInference' | 'monitor' | 'pipelineStep' | 'batchTransform' | 'hyperpod' | 'mlflow' | 'alarmTopic' | 'flowLogs' | 'accessLogs';

export interface Flow {
  readonly kind: FlowKind;
  /** `<stack>/<logical id>: what`. */
  readonly name: string;
  readonly requests: Request[];
}

type Props = Record<string, unknown>;

/** A sample execution id, training job name, object names: what SageMaker generates at run time. */
const EXECUTION_ID = 'exec0123456789';
const TRAINING_JOB = 'pipelines-exec0123456789-Train-abc123';

export function s3ObjectArn(uri: string, ...rest: string[]): string {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  const key = [m[2].replace(/\/$/, ''), ...rest].filter((p) => p !== '').join('/');
  return `arn:aws:s3:::${m[1]}/${key}`;
}

function bucketArnOf(uri: string): string {
  const m = /^s3:\/\/([^/]+)/.exec(uri);
  if (!m) throw new Error(`not an S3 URI: ${uri}`);
  return `arn:aws:s3:::${m[1]}`;
}

/** ecr:BatchGetImage and GetDownloadUrlForLayer on the image's repository, and the registry token. */
export function imagePull(principal: string, image: string): Request[] {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
  if (!m) throw new Error(`not an ECR image: ${image}`);
  const repository = `arn:aws:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
  return [
    { principal, action: 'ecr:GetAuthorizationToken', resource: '*' },
    { principal, action: 'ecr:BatchGetImage', resource: repository },
    { principal, action: 'ecr:GetDownloadUrlForLayer', resource: repository },
  ];
}

export class FlowReader {
  constructor(private readonly world: IamWorld) {}

  /** The KMS key a bucket of these templates encrypts with by default, or a stand-in for a bucket outside them. */
  public bucketKey(bucketArn: string): string {
    const name = bucketArn.replace('arn:aws:s3:::', '');
    for (const b of this.world.resolver.resourcesOfType('AWS::S3::Bucket')) {
      if (this.world.resolver.physicalName(b.stackName, b.logicalId) !== name) continue;
      const rule = ((b.properties.BucketEncryption as Props | undefined)?.ServerSideEncryptionConfiguration as Props[] | undefined)?.[0];
      const key = (rule?.ServerSideEncryptionByDefault as Props | undefined)?.KMSMasterKeyID as string | undefined;
      return key ?? 'SSE-S3';
    }
    // A bucket the platform does not own (the team's data, model and baseline buckets): how it is
    // encrypted is its owner's choice, not in these templates; taken as SSE-S3, so only S3 access is checked.
    return 'SSE-S3';
  }

  /** S3 GetObject, and Decrypt with the key the object was written with (through S3, with the bucket key's context). */
  public read(principal: string, objectArn: string, key?: string): Request[] {
    return this.objectAccess(principal, ['s3:GetObject', 'kms:Decrypt'], objectArn, key);
  }

  /** S3 PutObject, and GenerateDataKey with the key the writer names (through S3). */
  public write(principal: string, objectArn: string, key?: string): Request[] {
    return this.objectAccess(principal, ['s3:PutObject', 'kms:GenerateDataKey'], objectArn, key);
  }

  private objectAccess(principal: string, [s3Action, kmsAction]: [string, string], objectArn: string, key?: string): Request[] {
    const bucketArn = objectArn.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1');
    const kmsKey = key ?? this.bucketKey(bucketArn);
    return [
      { principal, action: s3Action, resource: objectArn },
      ...(kmsKey === 'SSE-S3' ? [] : [{ principal, action: kmsAction, resource: kmsKey, context: this.viaS3(bucketArn, principal) }]),
    ].map((r) => (r.action.startsWith('s3:') ? { ...r, context: { 's3:ResourceAccount': this.world.bucketAccount(objectArn) ?? this.world.resolver.env.account } } : r));
  }

  private viaS3(bucketArn: string, principal: string): Record<string, string> {
    const { region, account } = this.world.resolver.env;
    // S3 Bucket Keys: the encryption context is the bucket's ARN. The caller is the principal's account.
    const caller = /^arn:aws:iam::(\d{12}):/.exec(principal)?.[1] ?? account;
    return { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:CallerAccount': caller, 'kms:EncryptionContext:aws:s3:arn': bucketArn };
  }

  public all(): Flow[] {
    return [
      ...this.endpoints(), ...this.dataCapture(), ...this.asyncInference(), ...this.monitors(), ...this.pipelineSteps(), ...this.transforms(), ...this.hyperpod(), ...this.mlflow(),
      ...this.alarmTopics(), ...this.flowLogs(), ...this.accessLogs(),
    ];
  }

  /** A model's role reads its artifact and pulls its image: from the container, or from the pipeline that registered its package. */
  public endpoints(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::SageMaker::Model').map((m) => {
      const role = m.properties.ExecutionRoleArn as string;
      const c = m.properties.PrimaryContainer as Props;
      const requests: Request[] = [];
      if (c.ModelPackageName) {
        const packageArn = c.ModelPackageName as string;
        requests.push({ principal: role, action: 'sagemaker:DescribeModelPackage', resource: packageArn });
        const registered = this.registeredBy(packageArn);
        requests.push(...this.read(role, registered.modelObject, registered.key), ...imagePull(role, registered.image));
      } else {
        requests.push(...imagePull(role, c.Image as string));
        if (c.ModelDataUrl) requests.push(...this.read(role, s3ObjectArn(c.ModelDataUrl as string)));
      }
      return { kind: 'endpoint' as const, name: `${m.stackName}/${m.logicalId}: reads its model and pulls its image`, requests };
    });
  }

  /** The model artifact (model.tar.gz of the training step), its key and image, of the pipeline registering into a package's group. */
  public registeredBy(packageArn: string): { modelObject: string; key: string; image: string } {
    const group = /:model-package\/([^/]+)\/\d+$/.exec(packageArn)?.[1];
    for (const p of this.pipelines()) {
      const register = p.steps.find((s) => s.Type === 'RegisterModel' && String((s.Arguments as Props).ModelPackageGroupName).toLowerCase() === group);
      if (!register) continue;
      const train = p.steps.find((s) => s.Type === 'Training')!;
      const out = (train.Arguments as Props).OutputDataConfig as Props;
      const image = (((register.Arguments as Props).InferenceSpecification as Props).Containers as Props[])[0].Image as string;
      return { modelObject: s3ObjectArn(p.evaluate(out.S3OutputPath), TRAINING_JOB, 'output', 'model.tar.gz'), key: out.KmsKeyId as string, image: p.evaluate(image) };
    }
    throw new Error(`no pipeline registers into the group of ${packageArn}`);
  }

  /** An endpoint's model role writes captured requests with the capture key. */
  public dataCapture(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::SageMaker::EndpointConfig').filter((c) => c.properties.DataCaptureConfig).map((c) => {
      const capture = c.properties.DataCaptureConfig as Props;
      // Every variant (a shadow too) captures under its own folder, with its model's role.
      const variants = [...(c.properties.ProductionVariants as Props[]), ...((c.properties.ShadowProductionVariants as Props[] | undefined) ?? [])];
      return {
        kind: 'dataCapture' as const,
        name: `${c.stackName}/${c.logicalId}: the model writes captured data`,
        requests: variants.flatMap((v) => this.write(this.modelRole(v.ModelName as string), s3ObjectArn(capture.DestinationS3Uri as string, 'endpoint', v.VariantName as string, '2026/12/01/00/capture.jsonl'), capture.KmsKeyId as string)),
      };
    });
  }

  /**
   * An asynchronous endpoint's model reads the queued payload, writes the result (or the failure),
   * and publishes the notification to the topics, encrypted with their key.
   */
  public asyncInference(): Flow[] {
    const { region } = this.world.resolver.env;
    return this.world.resolver.resourcesOfType('AWS::SageMaker::EndpointConfig').filter((c) => c.properties.AsyncInferenceConfig).map((c) => {
      const out = (c.properties.AsyncInferenceConfig as Props).OutputConfig as Props;
      const role = this.modelRole(((c.properties.ProductionVariants as Props[])[0]).ModelName as string);
      const input = (out.S3OutputPath as string).replace(/\/async-output$/, '/async-input');
      const topics = Object.entries((out.NotificationConfig as Props | undefined) ?? {}).filter(([k]) => k.endsWith('Topic')).map(([, v]) => v as string);
      return {
        kind: 'asyncInference' as const,
        name: `${c.stackName}/${c.logicalId}: the model reads the queued payload, writes results and failures, publishes notifications`,
        requests: [
          ...this.read(role, s3ObjectArn(input, 'request-1.json')),
          ...this.write(role, s3ObjectArn(out.S3OutputPath as string, 'request-1.out'), out.KmsKeyId as string),
          ...this.write(role, s3ObjectArn(out.S3FailurePath as string, 'request-2-error.out'), out.KmsKeyId as string),
          ...topics.flatMap((topic) => {
            const key = this.topicKey(topic);
            return [
              { principal: role, action: 'sns:Publish', resource: topic },
              ...(key ? ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ principal: role, action, resource: key, context: { 'kms:ViaService': `sns.${region}.amazonaws.com` } })) : []),
            ];
          }),
        ],
      };
    });
  }

  private modelRole(modelName: string): string {
    const model = this.world.resolver.resourcesOfType('AWS::SageMaker::Model').find((m) => this.world.resolver.physicalName(m.stackName, m.logicalId) === modelName);
    if (!model) throw new Error(`no model named ${modelName}`);
    return model.properties.ExecutionRoleArn as string;
  }

  /** Each monitor reads the endpoint's captured data and its baseline, and writes its reports. */
  public monitors(): Flow[] {
    const flows: Flow[] = [];
    const kinds: [string, string, string, string?][] = [
      ['AWS::SageMaker::DataQualityJobDefinition', 'DataQualityJobInput', 'DataQualityJobOutputConfig', 'DataQualityBaselineConfig'],
      ['AWS::SageMaker::ModelQualityJobDefinition', 'ModelQualityJobInput', 'ModelQualityJobOutputConfig', 'ModelQualityBaselineConfig'],
      ['AWS::SageMaker::ModelBiasJobDefinition', 'ModelBiasJobInput', 'ModelBiasJobOutputConfig', 'ModelBiasBaselineConfig'],
      ['AWS::SageMaker::ModelExplainabilityJobDefinition', 'ModelExplainabilityJobInput', 'ModelExplainabilityJobOutputConfig', 'ModelExplainabilityBaselineConfig'],
    ];
    for (const [type, inputKey, outputKey, baselineKey] of kinds) {
      for (const j of this.world.resolver.resourcesOfType(type)) {
        const role = j.properties.RoleArn as string;
        const input = j.properties[inputKey] as Props;
        const endpointName = (input.EndpointInput as Props).EndpointName as string;
        const capture = this.captureOf(endpointName);
        const requests: Request[] = [...this.read(role, s3ObjectArn(capture.uri, endpointName, 'AllTraffic', '2026/12/01/00/capture.jsonl'), capture.key)];
        const groundTruth = (input.GroundTruthS3Input as Props | undefined)?.S3Uri as string | undefined;
        if (groundTruth) requests.push(...this.read(role, s3ObjectArn(groundTruth, '2026/12/01/00/labels.jsonl')));
        const baseline = baselineKey ? j.properties[baselineKey] as Props | undefined : undefined;
        for (const resource of ['ConstraintsResource', 'StatisticsResource']) {
          const uri = (baseline?.[resource] as Props | undefined)?.S3Uri as string | undefined;
          if (uri) requests.push(...this.read(role, s3ObjectArn(uri)));
        }
        const output = j.properties[outputKey] as Props;
        for (const o of output.MonitoringOutputs as Props[]) {
          requests.push(...this.write(role, s3ObjectArn((o.S3Output as Props).S3Uri as string, 'schedule', '2026/12/01/00/constraint_violations.json'), output.KmsKeyId as string));
        }
        flows.push({ kind: 'monitor', name: `${j.stackName}/${j.logicalId}: reads capture and baseline, writes reports`, requests });
      }
    }
    return flows;
  }

  private captureOf(endpointName: string): { uri: string; key: string } {
    const endpoint = this.world.resolver.resourcesOfType('AWS::SageMaker::Endpoint').find((e) => e.properties.EndpointName === endpointName);
    if (!endpoint) throw new Error(`no endpoint named ${endpointName}`);
    const config = this.world.resolver.resourcesOfType('AWS::SageMaker::EndpointConfig').find((c) => this.world.resolver.physicalName(c.stackName, c.logicalId) === endpoint.properties.EndpointConfigName);
    const capture = config?.properties.DataCaptureConfig as Props | undefined;
    if (!capture) throw new Error(`endpoint ${endpointName} captures no data`);
    return { uri: capture.DestinationS3Uri as string, key: capture.KmsKeyId as string };
  }

  /** The pipelines, their definitions parsed, with an evaluator of their expressions for one execution. */
  public pipelines(): { name: string; steps: (Props & { Name: string; Type: string })[]; evaluate: (v: unknown) => string }[] {
    return this.world.resolver.resourcesOfType('AWS::SageMaker::Pipeline').map((p) => {
      const definition = JSON.parse((p.properties.PipelineDefinition as Props).PipelineDefinitionBody as string) as Props;
      const parameters = new Map((definition.Parameters as Props[]).map((x) => [x.Name as string, x.DefaultValue]));
      const steps = flattenSteps(definition.Steps as Step[]);
      const evaluate = (v: unknown): string => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number') return String(v);
        const e = v as Props;
        if (typeof e.Get === 'string') {
          if (e.Get === 'Execution.PipelineExecutionId') return EXECUTION_ID;
          if (e.Get.startsWith('Parameters.')) return evaluate(parameters.get(e.Get.slice('Parameters.'.length)));
          const output = /^Steps\.([^.]+)\.ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri$/.exec(e.Get);
          if (output) {
            const step = steps.find((s) => s.Name === output[1])!;
            const o = (((step.Arguments as Props).ProcessingOutputConfig as Props).Outputs as Props[]).find((x) => x.OutputName === output[2])!;
            return evaluate((o.S3Output as Props).S3Uri);
          }
          if (/^Steps\.[^.]+\.ModelArtifacts\.S3ModelArtifacts$/.test(e.Get)) {
            const train = steps.find((s) => s.Name === String(e.Get).split('.')[1])!;
            return `${evaluate(((train.Arguments as Props).OutputDataConfig as Props).S3OutputPath)}/${TRAINING_JOB}/output/model.tar.gz`;
          }
        }
        const join = e['Std:Join'] as { On: string; Values: unknown[] } | undefined;
        if (join) return join.Values.map(evaluate).join(join.On);
        throw new Error(`unsupported pipeline expression ${JSON.stringify(v)}`);
      };
      return { name: `${p.stackName}/${p.logicalId}`, steps, evaluate };
    });
  }

  /** Each processing and training step reads its S3 inputs and writes its outputs with its key, as its role. */
  public pipelineSteps(): Flow[] {
    const flows: Flow[] = [];
    for (const p of this.pipelines()) {
      for (const step of p.steps) {
        const a = step.Arguments as Props | undefined;
        if (!a || (step.Type !== 'Processing' && step.Type !== 'Training' && step.Type !== 'QualityCheck')) continue;
        const role = a.RoleArn as string;
        const requests: Request[] = [];
        const ownPrefix = (uri: string) => /\/pipelines\//.test(uri);
        if (step.Type === 'Training') {
          const out = a.OutputDataConfig as Props;
          for (const input of (a.InputDataConfig as Props[] | undefined) ?? []) {
            const uri = p.evaluate(((input.DataSource as Props).S3DataSource as Props).S3Uri);
            requests.push(...this.read(role, s3ObjectArn(uri, 'part-0.csv'), ownPrefix(uri) ? out.KmsKeyId as string : undefined));
          }
          requests.push(...this.write(role, s3ObjectArn(p.evaluate(out.S3OutputPath), TRAINING_JOB, 'output', 'model.tar.gz'), out.KmsKeyId as string));
        } else {
          const outputs = a.ProcessingOutputConfig as Props;
          for (const input of (a.ProcessingInputs as Props[] | undefined) ?? []) {
            const s3 = input.S3Input as Props | undefined;
            if (!s3) continue;
            const uri = p.evaluate(s3.S3Uri);
            requests.push(...this.read(role, s3.S3DataType === 'S3Prefix' ? s3ObjectArn(uri, 'part-0.csv') : s3ObjectArn(uri), ownPrefix(uri) ? outputs.KmsKeyId as string : undefined));
          }
          for (const o of outputs.Outputs as Props[]) {
            requests.push(...this.write(role, s3ObjectArn(p.evaluate((o.S3Output as Props).S3Uri), 'result.json'), outputs.KmsKeyId as string));
          }
        }
        flows.push({ kind: 'pipelineStep', name: `${p.name} ${step.Name}: reads its inputs, writes its outputs`, requests });
      }
    }
    return flows;
  }

  /**
   * A transform job runs with its model's role (the pipeline's Model step): it pulls the image, reads
   * the artifact, reads an object under the input prefix, writes `<object>.out` under the output
   * with the output key, and has SageMaker create a grant on the volume key.
   */
  public transforms(): Flow[] {
    const flows: Flow[] = [];
    for (const p of this.pipelines()) {
      for (const step of p.steps.filter((s) => s.Type === 'Transform')) {
        const a = step.Arguments as Props;
        const modelStep = /^Steps\.([^.]+)\.ModelName$/.exec(String((a.ModelName as Props).Get))![1];
        const model = p.steps.find((s) => s.Name === modelStep)!.Arguments as Props;
        const role = model.ExecutionRoleArn as string;
        const container = model.PrimaryContainer as Props;
        const input = p.evaluate((((a.TransformInput as Props).DataSource as Props).S3DataSource as Props).S3Uri);
        const output = a.TransformOutput as Props;
        const volumeKey = (a.TransformResources as Props).VolumeKmsKeyId as string | undefined;
        const requests: Request[] = [
          ...imagePull(role, container.Image as string),
          ...(container.ModelDataUrl ? this.read(role, s3ObjectArn(container.ModelDataUrl as string)) : []),
          ...this.read(role, s3ObjectArn(input, 'part-0.csv')),
          ...this.write(role, s3ObjectArn(p.evaluate(output.S3OutputPath), 'part-0.csv.out'), output.KmsKeyId as string),
          ...(volumeKey ? [{ principal: role, action: 'kms:CreateGrant', resource: volumeKey }] : []),
        ];
        flows.push({ kind: 'batchTransform', name: `${p.name} ${step.Name}: scores the input prefix into the output prefix`, requests });
      }
    }
    return flows;
  }

  /** HyperPod nodes read their lifecycle scripts. */
  public hyperpod(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::SageMaker::Cluster').flatMap((c) => (c.properties.InstanceGroups as Props[]).map((g) => {
      const role = g.ExecutionRole as string;
      const uri = (g.LifeCycleConfig as Props).SourceS3Uri as string;
      return {
        kind: 'hyperpod' as const,
        name: `${c.stackName}/${c.logicalId} ${g.InstanceGroupName as string}: nodes read the lifecycle scripts`,
        requests: [{ principal: role, action: 's3:ListBucket', resource: bucketArnOf(uri) }, ...this.read(role, s3ObjectArn(uri, 'on_create.sh'))],
      };
    }));
  }

  /** The MLflow server reads and writes its artifact store. */
  public mlflow(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::SageMaker::MlflowTrackingServer').map((t) => {
      const role = t.properties.RoleArn as string;
      const object = s3ObjectArn(t.properties.ArtifactStoreUri as string, '1', 'run0', 'artifacts', 'model.pkl');
      return { kind: 'mlflow' as const, name: `${t.stackName}/${t.logicalId}: reads and writes its artifact store`, requests: [...this.write(role, object), ...this.read(role, object)] };
    });
  }

  /** CloudWatch (alarm actions) and EventBridge (rule targets) publish to SNS topics, using the topic's key. */
  public alarmTopics(): Flow[] {
    const { region, account } = this.world.resolver.env;
    const publish = (service: string, sourceArn: string, topicArn: string): Request[] => {
      const topicKey = this.topicKey(topicArn);
      const context = { 'aws:SourceAccount': account, 'aws:SourceArn': sourceArn };
      return [
        { principal: service, action: 'sns:Publish', resource: topicArn, context },
        ...(topicKey ? [
          { principal: service, action: 'kms:GenerateDataKey', resource: topicKey, context: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
          { principal: service, action: 'kms:Decrypt', resource: topicKey, context: { 'kms:ViaService': `sns.${region}.amazonaws.com` } },
        ] : []),
      ];
    };
    const isTopic = (arn: unknown): arn is string => typeof arn === 'string' && arn.startsWith('arn:aws:sns:');
    const flows: Flow[] = [];
    for (const alarm of this.world.resolver.resourcesOfType('AWS::CloudWatch::Alarm')) {
      for (const topic of ((alarm.properties.AlarmActions as unknown[] | undefined) ?? []).filter(isTopic)) {
        flows.push({ kind: 'alarmTopic', name: `${alarm.stackName}/${alarm.logicalId}: CloudWatch publishes to ${topic}`, requests: publish('cloudwatch.amazonaws.com', `arn:aws:cloudwatch:${region}:${account}:alarm:${alarm.logicalId}`, topic) });
      }
    }
    for (const rule of this.world.resolver.resourcesOfType('AWS::Events::Rule')) {
      for (const target of ((rule.properties.Targets as Props[] | undefined) ?? []).filter((t) => isTopic(t.Arn))) {
        flows.push({ kind: 'alarmTopic', name: `${rule.stackName}/${rule.logicalId}: EventBridge publishes to ${target.Arn as string}`, requests: publish('events.amazonaws.com', `arn:aws:events:${region}:${account}:rule/${rule.logicalId}`, target.Arn as string) });
      }
    }
    return flows;
  }

  private topicKey(topicArn: string): string | undefined {
    const topic = this.world.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => this.world.resolver.resolveString(t.stackName, { Ref: t.logicalId }) === topicArn);
    if (!topic) throw new Error(`no topic ${topicArn} in the templates`);
    return topic.properties.KmsMasterKeyId as string | undefined;
  }

  /** VPC flow logs are delivered to their bucket. */
  public flowLogs(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::EC2::FlowLog').filter((f) => f.properties.LogDestinationType === 's3').map((f) => {
      const { account, region } = this.world.resolver.envOf(f.stackName);
      const destination = f.properties.LogDestination as string;
      const bucketArn = destination.replace(/^(arn:aws:s3:::[^/]+).*$/, '$1');
      const prefix = destination.slice(bucketArn.length).replace(/^\//, '');
      const context = { 'aws:SourceAccount': account, 'aws:SourceArn': `arn:aws:logs:${region}:${account}:*`, 's3:x-amz-acl': 'bucket-owner-full-control' };
      return {
        kind: 'flowLogs' as const,
        name: `${f.stackName}/${f.logicalId}: flow logs delivered to ${destination}`,
        requests: [
          { principal: 'delivery.logs.amazonaws.com', action: 's3:GetBucketAcl', resource: bucketArn, context },
          { principal: 'delivery.logs.amazonaws.com', action: 's3:PutObject', resource: `${bucketArn}/${prefix}AWSLogs/${account}/vpcflowlogs/${region}/2026/12/01/flow.log.gz`, context },
        ],
      };
    });
  }

  /** S3 server access logs of every bucket that keeps them are delivered to the log bucket. */
  public accessLogs(): Flow[] {
    return this.world.resolver.resourcesOfType('AWS::S3::Bucket').filter((b) => b.properties.LoggingConfiguration).map((b) => {
      const { account } = this.world.resolver.envOf(b.stackName);
      const logging = b.properties.LoggingConfiguration as Props;
      const source = `arn:aws:s3:::${this.world.resolver.physicalName(b.stackName, b.logicalId)}`;
      return {
        kind: 'accessLogs' as const,
        name: `${b.stackName}/${b.logicalId}: access logs delivered`,
        requests: [{
          principal: 'logging.s3.amazonaws.com', action: 's3:PutObject',
          resource: `arn:aws:s3:::${logging.DestinationBucketName as string}/${(logging.LogFilePrefix as string | undefined) ?? ''}2026-12-01-00-00-00-0123456789ABCDEF`,
          context: { 'aws:SourceAccount': account, 'aws:SourceArn': source },
        }],
      };
    });
  }
}

type Step = Props & { Name: string; Type: string };

function flattenSteps(steps: Step[]): Step[] {
  return steps.flatMap((s) => {
    const a = s.Arguments as Props | undefined;
    const nested = s.Type === 'Condition' ? [...((a?.IfSteps as Step[] | undefined) ?? []), ...((a?.ElseSteps as Step[] | undefined) ?? [])] : [];
    return [s, ...flattenSteps(nested)];
  });
}
