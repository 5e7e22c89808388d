/**
 * Builds the audit report from a synthesized cloud assembly (never from the spec): principals,
 * data stores, network exposure, rule-pack findings with their acknowledgments, tag compliance.
 * This is the CloudFormation reader; every entry carries `target: 'aws-cloudformation'`, and a
 * Terraform JSON reader for the Kubernetes target adds its own entries beside them
 * ({@link mergeAuditReports}).
 */
import { asList, asObject, JsonObject } from '../json';
import { awsModelCards } from './model-cards';
import { DELIVERY_STAGE_ROLE_TAG } from '../spec/delivery-contract';
import { CfnResource, readCloudAssembly, SynthesizedAssembly, SynthesizedStack, unacknowledgedFindings } from './cloud-assembly';
import {
  AUDIT_REPORT_VERSION, AuditDataStore, AuditDelivery, AuditExposure, AuditFinding, AuditPrincipal, AuditReport, AuditStatement,
} from './report-model';
import {
  GOVERNANCE_METADATA_KEY, GovernanceLevel, isPublicPrincipal, jobsOf, MLOPS_PACK, MLOPS_RULES, RuleContext, TAG_REPLACES_TYPES, TAGGABLE_TYPES, tagsOf,
} from './rules';

const TARGET = 'aws-cloudformation' as const;
const PACKS = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', MLOPS_PACK];

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '<this account>', 'AWS::Region': '<this region>', 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': '<stack name>', 'AWS::NoValue': '',
};

/**
 * A template value written for a reader: references become the logical id they point to
 * (`{ Ref: 'Key' }` → `Key`, `{ Fn::GetAtt: ['Bucket', 'Arn'] }` → `Bucket`), ARNs built with
 * Fn::Join read as `arn:aws:s3:::DataCaptureBucket/datacapture/*`.
 */
export function readable(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const o = asObject(value);
  if (!o) return Array.isArray(value) ? value.map(readable).join(', ') : '';
  if (typeof o.Ref === 'string') return PSEUDO[o.Ref] ?? o.Ref;
  const getAtt = o['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt[1] === 'Arn' || getAtt[1] === 'KeyId' ? String(getAtt[0]) : `${String(getAtt[0])}.${String(getAtt[1])}`;
  const join = o['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(readable).join(String(join[0]));
  const imp = o['Fn::ImportValue'];
  if (imp !== undefined) {
    const name = readable(imp);
    const m = /^([^:]+):ExportsOutput(?:Ref|FnGetAtt)(.+?)(?:[0-9A-F]{8})(?:Arn|Name|Id|KeyId)?[0-9A-F]*$/.exec(name);
    return m ? `${m[2]} (in stack ${m[1]})` : `export ${name}`;
  }
  const sub = o['Fn::Sub'];
  if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, (_, v: string) => PSEUDO[v] ?? v);
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0].replace(/\$\{([^}]+)\}/g, (_, v: string) => PSEUDO[v] ?? v);
  if (o['Fn::If'] !== undefined) return `(conditional) ${readable(asList(o['Fn::If'])[1])}`;
  if (o['Fn::Select'] !== undefined) return `one of ${readable(asList(o['Fn::Select'])[1])}`;
  return JSON.stringify(value);
}

function conditions(condition: unknown): string[] {
  const out: string[] = [];
  for (const [operator, body] of Object.entries(asObject(condition) ?? {})) {
    for (const [key, value] of Object.entries(asObject(body) ?? {})) out.push(`${key} ${operator} ${asList(value).map(readable).join(' or ')}`);
  }
  return out;
}

function statementsOf(policy: string, document: unknown): AuditStatement[] {
  return asList(asObject(document)?.Statement).map(asObject).filter((s): s is JsonObject => s !== undefined).map((s) => ({
    policy,
    sid: typeof s.Sid === 'string' ? s.Sid : undefined,
    effect: s.Effect === 'Deny' ? 'Deny' as const : 'Allow' as const,
    actions: [...asList(s.Action).map(readable), ...asList(s.NotAction).map((a) => `NOT ${readable(a)}`)],
    resources: [...asList(s.Resource).map(readable), ...asList(s.NotResource).map((r) => `NOT ${readable(r)}`)],
    conditions: conditions(s.Condition),
  }));
}

function trustOf(document: unknown): AuditPrincipal['trustedBy'] {
  const out: AuditPrincipal['trustedBy'] = [];
  for (const s of asList(asObject(document)?.Statement).map(asObject)) {
    if (!s || s.Effect === 'Deny') continue;
    const conds = conditions(s.Condition);
    const principal = s.Principal;
    if (principal === '*') { out.push({ kind: 'any', principal: 'anyone', conditions: conds }); continue; }
    for (const [kind, values] of Object.entries(asObject(principal) ?? {})) {
      for (const v of asList(values)) {
        const text = readable(v);
        out.push({ kind: kind === 'Service' ? 'service' : kind === 'Federated' ? 'federated' : text === '*' ? 'any' : 'account', principal: text, conditions: conds });
      }
    }
  }
  return out;
}

const pathOf = (r: CfnResource): string | undefined => r.Metadata?.['aws:cdk:path'] as string | undefined;
const refersTo = (value: unknown, logicalId: string): boolean => JSON.stringify(value ?? null).includes(`"${logicalId}"`);

function principals(stack: SynthesizedStack): AuditPrincipal[] {
  const out: AuditPrincipal[] = [];
  const entries = Object.entries(stack.resources);
  for (const [logicalId, r] of entries) {
    if (r.Type !== 'AWS::IAM::Role' && r.Type !== 'AWS::IAM::User') continue;
    const p = r.Properties ?? {};
    const statements: AuditStatement[] = [];
    for (const pol of asList(p.Policies).map(asObject)) if (pol) statements.push(...statementsOf(`inline: ${readable(pol.PolicyName)}`, pol.PolicyDocument));
    for (const [policyId, policy] of entries) {
      if (policy.Type !== 'AWS::IAM::ManagedPolicy' && policy.Type !== 'AWS::IAM::Policy') continue;
      const attached = asList(policy.Properties?.Roles).some((x) => asObject(x)?.Ref === logicalId) || asList(policy.Properties?.Users).some((x) => asObject(x)?.Ref === logicalId)
        || asList(p.ManagedPolicyArns).some((x) => asObject(x)?.Ref === policyId);
      if (attached) statements.push(...statementsOf(policyId, policy.Properties?.PolicyDocument));
    }
    const managed = asList(p.ManagedPolicyArns).filter((x) => asObject(x)?.Ref === undefined).map(readable);
    for (const arn of managed) statements.push({ policy: `managed policy ${arn}`, effect: 'Allow', actions: ['(defined outside this template)'], resources: [], conditions: [] });
    out.push({
      target: TARGET, stack: stack.stackName, logicalId, constructPath: pathOf(r),
      kind: r.Type === 'AWS::IAM::Role' ? 'iam-role' : 'iam-user',
      name: typeof p.RoleName === 'string' ? p.RoleName : undefined,
      description: typeof p.Description === 'string' ? p.Description : undefined,
      trustedBy: trustOf(p.AssumeRolePolicyDocument),
      permissionsBoundary: p.PermissionsBoundary !== undefined ? readable(p.PermissionsBoundary) : undefined,
      statements,
    });
  }
  return out;
}

function retentionOf(r: CfnResource, extra?: string): string {
  const onDelete = r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate' ? 'retained when the stack is deleted'
    : r.DeletionPolicy === 'Snapshot' ? 'snapshotted when the stack is deleted' : 'DELETED when the stack is deleted';
  return extra ? `${onDelete}; ${extra}` : onDelete;
}

function keyText(key: unknown): { encryption: string; cmk: boolean } {
  if (key === undefined || key === null || key === '') return { encryption: 'AWS-owned or AWS-managed key (not customer-managed)', cmk: false };
  const k = readable(key);
  const awsManaged = /alias\/aws\//.test(k);
  return { encryption: awsManaged ? `AWS-managed key ${k}` : `customer-managed KMS key ${k}`, cmk: !awsManaged };
}

function dataStores(stack: SynthesizedStack): AuditDataStore[] {
  const out: AuditDataStore[] = [];
  const entries = Object.entries(stack.resources);
  const base = (logicalId: string, r: CfnResource) => ({ target: TARGET, stack: stack.stackName, logicalId, constructPath: pathOf(r), type: r.Type });
  for (const [logicalId, r] of entries) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::S3::Bucket': {
        const sse = asObject(asObject(asList(asObject(p.BucketEncryption)?.ServerSideEncryptionConfiguration)[0])?.ServerSideEncryptionByDefault);
        const algorithm = sse?.SSEAlgorithm;
        const enc = algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse' ? keyText(sse?.KMSMasterKeyID) : { encryption: algorithm === 'AES256' ? 'SSE-S3 (S3-managed keys)' : 'SSE-S3 by default (S3-managed keys)', cmk: false };
        const pab = asObject(p.PublicAccessBlockConfiguration) ?? {};
        const blocked = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every((k) => pab[k] === true);
        const policy = entries.find(([, x]) => x.Type === 'AWS::S3::BucketPolicy' && asObject(x.Properties?.Bucket)?.Ref === logicalId)?.[1];
        const tls = asList(asObject(policy?.Properties?.PolicyDocument)?.Statement).some((s) => asObject(s)?.Effect === 'Deny' && JSON.stringify(asObject(s)?.Condition ?? {}).includes('"aws:SecureTransport":"false"'));
        const expirations = asList(asObject(p.LifecycleConfiguration)?.Rules).map(asObject).filter((x) => x?.ExpirationInDays !== undefined).map((x) => `${readable(x?.Prefix ?? '') || 'all objects'} expire after ${readable(x?.ExpirationInDays)} days`);
        const notes: string[] = [];
        if (p.LoggingConfiguration) notes.push(`server access logs go to ${readable(asObject(p.LoggingConfiguration)?.DestinationBucketName)}`);
        out.push({ ...base(logicalId, r), kind: 's3-bucket', encryption: enc.encryption, customerManagedKey: enc.cmk,
          versioning: asObject(p.VersioningConfiguration)?.Status === 'Enabled' ? 'enabled' : asObject(p.VersioningConfiguration)?.Status === 'Suspended' ? 'suspended' : 'off',
          retention: retentionOf(r, expirations.join('; ') || 'objects kept until deleted'), publicAccess: blocked ? 'blocked' : 'possible', tlsOnly: tls ? 'enforced' : 'not-enforced', notes });
        break;
      }
      case 'AWS::KMS::Key':
        out.push({ ...base(logicalId, r), kind: 'kms-key', encryption: 'is a customer-managed KMS key', customerManagedKey: true, versioning: 'not-applicable',
          retention: retentionOf(r, p.PendingWindowInDays !== undefined ? `${readable(p.PendingWindowInDays)}-day deletion window` : undefined), publicAccess: asList(asObject(p.KeyPolicy)?.Statement).some((s) => asObject(s)?.Effect !== 'Deny' && isPublicPrincipal(asObject(s)?.Principal) && !asObject(s)?.Condition) ? 'possible' : 'blocked',
          tlsOnly: 'not-applicable', notes: [p.EnableKeyRotation === true ? 'automatic yearly rotation on' : 'automatic rotation OFF'] });
        break;
      case 'AWS::SNS::Topic': {
        const policy = entries.find(([, x]) => x.Type === 'AWS::SNS::TopicPolicy' && asList(x.Properties?.Topics).some((t) => asObject(t)?.Ref === logicalId))?.[1];
        const tls = JSON.stringify(policy?.Properties?.PolicyDocument ?? {}).includes('"aws:SecureTransport":"false"');
        const enc = keyText(p.KmsMasterKeyId);
        out.push({ ...base(logicalId, r), kind: 'sns-topic', encryption: enc.encryption, customerManagedKey: enc.cmk, versioning: 'not-applicable', retention: 'messages are delivered, not stored', publicAccess: 'blocked', tlsOnly: tls ? 'enforced' : 'not-enforced', notes: [] });
        break;
      }
      case 'AWS::SageMaker::FeatureGroup': {
        const online = asObject(p.OnlineStoreConfig);
        const offline = asObject(p.OfflineStoreConfig);
        const onlineKey = keyText(asObject(online?.SecurityConfig)?.KmsKeyId);
        const offlineKey = keyText(asObject(offline?.S3StorageConfig)?.KmsKeyId);
        const parts = [online && online.EnableOnlineStore !== false ? `online store: ${onlineKey.encryption}` : undefined, offline ? `offline store: ${offlineKey.encryption}` : undefined].filter((x): x is string => x !== undefined);
        out.push({ ...base(logicalId, r), kind: 'feature-group', encryption: parts.join('; ') || 'no store configured', customerManagedKey: (!online || online.EnableOnlineStore === false || onlineKey.cmk) && (!offline || offlineKey.cmk),
          versioning: 'not-applicable', retention: retentionOf(r, asObject(online?.TtlDuration) ? `online records expire after ${readable(asObject(online?.TtlDuration)?.Value)} ${readable(asObject(online?.TtlDuration)?.Unit)}` : undefined),
          publicAccess: 'blocked', tlsOnly: 'enforced', notes: ['SageMaker APIs are TLS-only; a tag change replaces a feature group, so it carries no stack tags'] });
        break;
      }
      case 'AWS::SageMaker::ModelPackageGroup': {
        const pub = asList(asObject(p.ModelPackageGroupPolicy)?.Statement).some((s) => asObject(s)?.Effect !== 'Deny' && isPublicPrincipal(asObject(s)?.Principal));
        out.push({ ...base(logicalId, r), kind: 'model-registry', encryption: 'metadata in SageMaker (AWS-managed); model artifacts in the S3 bucket its versions name', customerManagedKey: false, versioning: 'enabled',
          retention: retentionOf(r), publicAccess: pub ? 'possible' : 'blocked', tlsOnly: 'enforced', notes: p.ModelPackageGroupPolicy ? ['has a resource policy (cross-account access)'] : [] });
        break;
      }
      case 'AWS::SageMaker::EndpointConfig': {
        const asyncOut = asObject(asObject(p.AsyncInferenceConfig)?.OutputConfig);
        if (asyncOut) {
          const enc = keyText(asyncOut.KmsKeyId);
          const topics = asObject(asyncOut.NotificationConfig);
          out.push({ ...base(logicalId, r), kind: 'async-inference-output', encryption: enc.encryption, customerManagedKey: enc.cmk, versioning: 'not-applicable',
            retention: `results in ${readable(asyncOut.S3OutputPath)}, failures in ${readable(asyncOut.S3FailurePath)} (retention set by that bucket)`, publicAccess: 'not-applicable', tlsOnly: 'enforced',
            notes: [topics ? `notifies ${[topics.SuccessTopic && `success to ${readable(topics.SuccessTopic)}`, topics.ErrorTopic && `errors to ${readable(topics.ErrorTopic)}`].filter(Boolean).join(', ')}${asList(topics.IncludeInferenceResponseIn).length > 0 ? ', with the inference response in the message' : ''}` : 'no notifications']});
        }
        const capture = asObject(p.DataCaptureConfig);
        if (!capture || capture.EnableCapture === false) break;
        const enc = keyText(capture.KmsKeyId);
        out.push({ ...base(logicalId, r), kind: 'data-capture', encryption: enc.encryption, customerManagedKey: enc.cmk, versioning: 'not-applicable',
          retention: `captured requests and responses land in ${readable(capture.DestinationS3Uri)} (retention set by that bucket)`, publicAccess: 'not-applicable', tlsOnly: 'enforced',
          notes: [`${readable(capture.InitialSamplingPercentage)}% of requests captured`] });
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const enc = keyText(p.KmsKeyId);
        out.push({ ...base(logicalId, r), kind: 'log-group', encryption: enc.encryption, customerManagedKey: enc.cmk, versioning: 'not-applicable',
          retention: retentionOf(r, p.RetentionInDays !== undefined ? `events kept ${readable(p.RetentionInDays)} days` : 'events kept forever'), publicAccess: 'blocked', tlsOnly: 'enforced', notes: [] });
        break;
      }
      case 'AWS::SageMaker::MlflowTrackingServer':
        out.push({ ...base(logicalId, r), kind: 'mlflow-tracking-server', encryption: `artifacts in ${readable(p.ArtifactStoreUri)} (encrypted as that bucket is)`, customerManagedKey: false, versioning: 'not-applicable',
          retention: retentionOf(r), publicAccess: 'blocked', tlsOnly: 'enforced', notes: [] });
        break;
      default:
    }
  }
  return out;
}

function vpcText(vpc: unknown): string | undefined {
  const v = asObject(vpc);
  if (!v) return undefined;
  return `VPC (subnets ${asList(v.Subnets).map(readable).join(', ')}; security groups ${asList(v.SecurityGroupIds).map(readable).join(', ')})`;
}
const NO_VPC = 'SageMaker service network (no VPC)';

function exposure(stack: SynthesizedStack): AuditExposure[] {
  const out: AuditExposure[] = [];
  const res = stack.resources;
  const base = (logicalId: string, r: CfnResource) => ({ target: TARGET, stack: stack.stackName, logicalId, constructPath: pathOf(r) });
  const targetOf = (v: unknown): string | undefined => {
    const o = asObject(v);
    const getAtt = o?.['Fn::GetAtt'];
    return Array.isArray(getAtt) ? String(getAtt[0]) : typeof o?.Ref === 'string' ? o.Ref : undefined;
  };
  for (const [logicalId, r] of Object.entries(res)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::SageMaker::Endpoint') {
      const config = res[targetOf(p.EndpointConfigName) ?? ''];
      // The shadow variant's model serves copies of the same requests: it is exposed as production is.
      const shadows = asList(config?.Properties?.ShadowProductionVariants).map(asObject);
      const models = [...asList(config?.Properties?.ProductionVariants), ...shadows].map((v) => res[targetOf(asObject(v)?.ModelName) ?? '']).filter((m): m is CfnResource => m !== undefined);
      const serverless = asList(config?.Properties?.ProductionVariants).some((v) => asObject(v)?.ServerlessConfig !== undefined);
      // A shared endpoint names no model: its config holds the isolation and VPC of every inference component on it.
      const shared = config !== undefined && asList(config.Properties?.ProductionVariants).some((v) => asObject(v)?.ModelName === undefined && asObject(v)?.ServerlessConfig === undefined);
      if (shared) {
        const cp = config.Properties ?? {};
        out.push({ ...base(logicalId, r), kind: 'sagemaker-endpoint', name: readable(p.EndpointName), vpcPlacement: vpcText(cp.VpcConfig) ?? NO_VPC,
          networkIsolation: cp.EnableNetworkIsolation === true ? 'isolated' : 'network-access',
          authentication: 'AWS SigV4 (IAM): only callers allowed sagemaker:InvokeEndpoint on this endpoint can invoke it, naming one of its inference components; HTTPS only; shared by several models (inference components)',
          inbound: ['no network listener in the account: invoked through the SageMaker Runtime API (or its VPC endpoint)'] });
        continue;
      }
      const mode = [
        serverless ? 'serverless' : undefined,
        config?.Properties?.AsyncInferenceConfig !== undefined ? 'asynchronous: InvokeEndpointAsync only, payloads read from and results written to S3' : undefined,
        shadows.length > 0 ? `shadow variant ${shadows.map((v) => readable(v?.VariantName)).join(', ')} receives copies of requests; only production answers` : undefined,
      ].filter((x): x is string => x !== undefined);
      out.push({ ...base(logicalId, r), kind: 'sagemaker-endpoint', name: readable(p.EndpointName),
        vpcPlacement: models.length ? models.map((m) => vpcText(m.Properties?.VpcConfig) ?? NO_VPC).join('; ') : 'unknown (model defined elsewhere)',
        networkIsolation: models.length && models.every((m) => m.Properties?.EnableNetworkIsolation === true) ? 'isolated' : 'network-access',
        authentication: `AWS SigV4 (IAM): only callers allowed sagemaker:InvokeEndpoint on this endpoint can invoke it; HTTPS only${mode.map((m) => `; ${m}`).join('')}`,
        inbound: ['no network listener in the account: invoked through the SageMaker Runtime API (or its VPC endpoint)'] });
    } else if (r.Type === 'AWS::SageMaker::InferenceComponent') {
      const model = res[targetOf(asObject(p.Specification)?.ModelName) ?? ''];
      out.push({ ...base(logicalId, r), kind: 'sagemaker-inference-component', name: readable(p.InferenceComponentName),
        vpcPlacement: `on shared endpoint ${readable(p.EndpointName)} (its endpoint config's VPC)${model ? `; model: ${vpcText(model.Properties?.VpcConfig) ?? NO_VPC}` : ''}`,
        networkIsolation: model ? (model.Properties?.EnableNetworkIsolation === true ? 'isolated' : 'network-access') : 'not-applicable',
        authentication: `AWS SigV4 (IAM): callers allowed sagemaker:InvokeEndpoint on endpoint ${readable(p.EndpointName)}, naming InferenceComponentName ${readable(p.InferenceComponentName)}`,
        inbound: ['no network listener in the account: invoked through the SageMaker Runtime API (or its VPC endpoint)'] });
    } else if (r.Type === 'AWS::SageMaker::Model') {
      out.push({ ...base(logicalId, r), kind: 'sagemaker-model', vpcPlacement: vpcText(p.VpcConfig) ?? NO_VPC,
        networkIsolation: p.EnableNetworkIsolation === true ? 'isolated' : 'network-access', authentication: 'not callable directly (served by an endpoint)', inbound: [] });
    } else if (r.Type === 'AWS::SageMaker::Pipeline' || r.Type === 'AWS::SageMaker::MonitoringSchedule' || r.Type.endsWith('JobDefinition') || r.Type === 'AWS::SageMaker::Cluster') {
      const jobs = jobsOf(r);
      const vpc = r.Type === 'AWS::SageMaker::Cluster' ? vpcText(p.VpcConfig) ?? NO_VPC : jobs.length ? [...new Set(jobs.map((j) => vpcText(j.vpcConfig) ?? NO_VPC))].join('; ') : 'not known from the template';
      out.push({ ...base(logicalId, r), kind: 'sagemaker-job', name: typeof p.PipelineName === 'string' ? p.PipelineName : typeof p.ClusterName === 'string' ? p.ClusterName : undefined, vpcPlacement: vpc,
        networkIsolation: r.Type === 'AWS::SageMaker::Cluster' ? 'not-applicable' : jobs.length && jobs.every((j) => j.networkIsolation === true) ? 'isolated' : 'network-access',
        authentication: 'started through the SageMaker API with AWS SigV4 (IAM)', inbound: [] });
    } else if (r.Type === 'AWS::SageMaker::MlflowTrackingServer') {
      out.push({ ...base(logicalId, r), kind: 'mlflow-tracking-server', name: readable(p.TrackingServerName), vpcPlacement: NO_VPC, networkIsolation: 'not-applicable',
        authentication: 'AWS SigV4 (IAM): sagemaker-mlflow actions, or a presigned URL from sagemaker:CreatePresignedMlflowTrackingServerUrl', inbound: [] });
    } else if (r.Type === 'AWS::EC2::VPCEndpoint') {
      out.push({ ...base(logicalId, r), kind: 'vpc-endpoint', name: readable(p.ServiceName), vpcPlacement: `VPC ${readable(p.VpcId)}`, networkIsolation: 'not-applicable',
        authentication: p.VpcEndpointType === 'Interface' ? 'the service\'s own IAM authentication; reachable from the VPC only' : 'routes S3 traffic privately; S3 authenticates callers',
        inbound: asList(p.SecurityGroupIds).map((g) => `security group ${readable(g)}`) });
    } else if (r.Type === 'AWS::EC2::SecurityGroup') {
      const inbound = asList(p.SecurityGroupIngress).map(asObject).filter((x): x is JsonObject => x !== undefined)
        .map((i) => `${readable(i.IpProtocol)} ${readable(i.FromPort)}-${readable(i.ToPort)} from ${readable(i.CidrIp ?? i.CidrIpv6 ?? i.SourceSecurityGroupId ?? i.SourcePrefixListId)}`);
      for (const [, ing] of Object.entries(res).filter(([, x]) => x.Type === 'AWS::EC2::SecurityGroupIngress' && refersTo(x.Properties?.GroupId, logicalId))) {
        const i = ing.Properties ?? {};
        inbound.push(`${readable(i.IpProtocol)} ${readable(i.FromPort)}-${readable(i.ToPort)} from ${readable(i.CidrIp ?? i.SourceSecurityGroupId ?? i.SourcePrefixListId)}`);
      }
      out.push({ ...base(logicalId, r), kind: 'security-group', name: readable(p.GroupDescription), vpcPlacement: `VPC ${readable(p.VpcId)}`, networkIsolation: 'not-applicable', authentication: 'network rules only', inbound: inbound.length ? inbound : ['nothing inbound'] });
    }
  }
  return out;
}

interface StackGovernance { level: GovernanceLevel; requiredTags: string[]; permissionsBoundary?: string }
function governanceOf(stack: SynthesizedStack): StackGovernance | undefined {
  return stack.metadata?.[GOVERNANCE_METADATA_KEY] as StackGovernance | undefined;
}

function findings(assembly: SynthesizedAssembly): AuditFinding[] {
  const out: AuditFinding[] = [];
  const byPath = new Map<string, { stack: string; logicalId: string }>();
  for (const stack of assembly.stacks) {
    const context: RuleContext = governanceOf(stack) ?? { level: 'baseline', requiredTags: [] };
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const path = pathOf(r);
      if (path) byPath.set(path, { stack: stack.stackName, logicalId });
      const acks = new Map(((r.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress ?? []).map((a) => [a.id, a.reason]));
      // The MLOps rules run again here, over exactly what is deployed.
      for (const rule of MLOPS_RULES) {
        if (!rule.appliesTo.includes(r.Type) || (rule.strictOnly && context.level !== 'strict')) continue;
        const result = rule.check(r, context);
        if (result.status !== 'non-compliant') continue;
        const id = `${MLOPS_PACK}-${rule.id}`;
        out.push({ pack: MLOPS_PACK, rule: id, status: acks.has(id) ? 'acknowledged' : 'open', severity: rule.level, description: `${rule.info} Found: ${result.findings.join('; ')}.`, reason: acks.get(id), target: TARGET, stack: stack.stackName, logicalId, constructPath: path });
      }
      // The cdk-nag packs ran at synth: what they left acknowledged is in the metadata.
      for (const [id, reason] of acks) {
        const pack = PACKS.find((p) => id.startsWith(`${p}-`));
        if (!pack || pack === MLOPS_PACK) continue;
        out.push({ pack, rule: id, status: 'acknowledged', severity: 'error', description: `${id} acknowledged at synth`, reason, target: TARGET, stack: stack.stackName, logicalId, constructPath: path });
      }
      // MLOps acknowledgments of rules that no longer fire are kept too: the reason is part of the record.
      for (const [id, reason] of acks) {
        if (id.startsWith(`${MLOPS_PACK}-`) && !out.some((f) => f.rule === id && f.logicalId === logicalId && f.stack === stack.stackName)) {
          out.push({ pack: MLOPS_PACK, rule: id, status: 'acknowledged', severity: 'error', description: `${id} acknowledged at synth`, reason, target: TARGET, stack: stack.stackName, logicalId, constructPath: path });
        }
      }
    }
  }
  // Findings the packs reported and nobody acknowledged (warnings, or errors when synth was forced).
  for (const f of unacknowledgedFindings(assembly)) {
    const pack = PACKS.find((p) => f.rule.startsWith(`${p}-`)) ?? f.plugin;
    if (pack === MLOPS_PACK) continue; // recomputed above
    for (const path of f.constructPaths) {
      const at = byPath.get(path);
      out.push({ pack, rule: f.rule, status: 'open', severity: f.severity === 'warning' ? 'warning' : 'error', description: f.description, target: TARGET, stack: at?.stack ?? '?', logicalId: at?.logicalId ?? path, constructPath: path });
    }
  }
  return out.sort((a, b) => Number(a.status === 'acknowledged') - Number(b.status === 'acknowledged') || a.pack.localeCompare(b.pack) || a.rule.localeCompare(b.rule) || a.stack.localeCompare(b.stack) || a.logicalId.localeCompare(b.logicalId));
}

function tagCompliance(assembly: SynthesizedAssembly, requiredTags: string[]): AuditReport['tags'] {
  const missing: AuditReport['tags']['missing'] = [];
  const exempt: AuditReport['tags']['exempt'] = [];
  let checked = 0;
  for (const stack of assembly.stacks) {
    const required = governanceOf(stack)?.requiredTags ?? requiredTags;
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const where = { target: TARGET, stack: stack.stackName, logicalId, constructPath: pathOf(r), type: r.Type };
      if (TAG_REPLACES_TYPES.includes(r.Type)) {
        exempt.push({ ...where, reason: 'a tag change replaces this resource and loses its data, so tags are never applied to it' });
        continue;
      }
      if (!TAGGABLE_TYPES.includes(r.Type)) continue;
      checked++;
      const tags = tagsOf(r) ?? {};
      const absent = required.filter((t) => !(t in tags));
      if (absent.length) missing.push({ ...where, missing: absent });
    }
  }
  return { requiredTags, checked, compliant: checked - missing.length, missing, exempt };
}

/** The audit report of a cloud assembly directory (cdk.out/) or of an assembly already read. */
export function buildAuditReport(input: string | SynthesizedAssembly, now: Date = new Date()): AuditReport {
  const assembly = typeof input === 'string' ? readCloudAssembly(input) : input;
  const governed = assembly.stacks.map(governanceOf).filter((g): g is StackGovernance => g !== undefined);
  const levels = new Set(governed.map((g) => g.level));
  const governance = {
    level: governed.length === 0 ? 'unknown' as const : levels.has('baseline') ? 'baseline' as const : 'strict' as const,
    requiredTags: [...new Set(governed.flatMap((g) => g.requiredTags))],
    permissionsBoundary: governed.find((g) => g.permissionsBoundary)?.permissionsBoundary,
  };
  const allPrincipals = assembly.stacks.flatMap(principals);
  const allStores = assembly.stacks.flatMap(dataStores);
  const allExposure = assembly.stacks.flatMap(exposure);
  const allFindings = findings(assembly);
  return {
    schemaVersion: AUDIT_REPORT_VERSION,
    generatedAt: now.toISOString(),
    source: { cloudAssembly: assembly.directory, targets: [TARGET] },
    governance,
    summary: {
      stacks: assembly.stacks.map((s) => ({ name: s.stackName, resources: Object.keys(s.resources).length })),
      principals: allPrincipals.length,
      dataStores: allStores.length,
      exposures: allExposure.length,
      openFindings: allFindings.filter((f) => f.status === 'open').length,
      acknowledgedFindings: allFindings.filter((f) => f.status === 'acknowledged').length,
    },
    principals: allPrincipals,
    dataStores: allStores,
    exposure: allExposure,
    findings: allFindings,
    tags: tagCompliance(assembly, governance.requiredTags),
    modelCards: awsModelCards(assembly),
    delivery: deliveryOf(assembly, allPrincipals),
  };
}

/**
 * Adds another target's entries (e.g. the Kubernetes reader's, from cdktf.out/) to a report: the
 * lists are concatenated, the summary recomputed.
 */
export function mergeAuditReports(report: AuditReport, other: Pick<AuditReport, 'principals' | 'dataStores' | 'exposure' | 'findings'> & {
  targets: AuditReport['source']['targets'];
  /** The other target's stacks, added to the summary. */
  stacks?: AuditReport['summary']['stacks'];
  /** The cdktf output directory the other entries were read from. */
  cdktfOut?: string;
  /** The other target's model cards. */
  modelCards?: AuditReport['modelCards'];
  /** The other target's governance, as its output records it. */
  governance?: AuditReport['governance'];
  /** The other target's tag compliance. */
  tags?: AuditReport['tags'];
}): AuditReport {
  const findingsAll = [...report.findings, ...other.findings];
  return {
    ...report,
    governance: mergeGovernance(report.governance, other.governance, { a: report.source.targets, b: other.targets }),
    tags: other.tags ? mergeTags(report.tags, other.tags) : report.tags,
    source: { ...report.source, ...(other.cdktfOut !== undefined ? { cdktfOut: other.cdktfOut } : {}), targets: [...new Set([...report.source.targets, ...other.targets])] },
    principals: [...report.principals, ...other.principals],
    dataStores: [...report.dataStores, ...other.dataStores],
    exposure: [...report.exposure, ...other.exposure],
    findings: findingsAll,
    modelCards: [...report.modelCards, ...(other.modelCards ?? [])],
    summary: {
      ...report.summary,
      stacks: [...report.summary.stacks, ...(other.stacks ?? [])],
      principals: report.principals.length + other.principals.length,
      dataStores: report.dataStores.length + other.dataStores.length,
      exposures: report.exposure.length + other.exposure.length,
      openFindings: findingsAll.filter((f) => f.status === 'open').length,
      acknowledgedFindings: findingsAll.filter((f) => f.status === 'acknowledged').length,
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Delivery and cross-account access: who approves, who deploys to which stage, what other accounts reach
// ------------------------------------------------------------------------------------------------


/** Whether an action pattern list (`sagemaker:*`, `sagemaker:Update*`, `*`) allows `action`. */
function allowsAction(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => !p.startsWith('NOT ') && new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));
}

/** The model package group a resource names (`.../model-package/churn/*` → churn), `*` for every one, undefined for none. */
function groupOfResource(resource: string): string | undefined {
  if (resource === '*') return '*';
  return /:model-package\/([^/]+)\//.exec(resource)?.[1] ?? (/:model-package\/\*$/.test(resource) ? '*' : undefined);
}

/** The 12-digit accounts a policy principal names (account roots, roles, bare ids), with the text of each. */
function principalAccounts(principal: unknown): { account: string; text: string }[] {
  return asList(asObject(principal)?.AWS).map((p) => readable(p)).map((text) => ({ text, account: /(?:^|:)(\d{12})(?::|$)/.exec(text)?.[1] ?? '' })).filter((x) => x.account !== '');
}

function statementsOfDocument(document: unknown): JsonObject[] {
  return asList(asObject(document)?.Statement).map(asObject).filter((s): s is JsonObject => s !== undefined && s.Effect !== 'Deny');
}

function approversOf(assembly: SynthesizedAssembly, allPrincipals: AuditPrincipal[]): AuditDelivery['approvers'] {
  const out: AuditDelivery['approvers'] = [];
  for (const p of allPrincipals) {
    for (const st of p.statements) {
      if (st.effect !== 'Allow' || !allowsAction(st.actions, 'sagemaker:UpdateModelPackage')) continue;
      for (const group of new Set(st.resources.map(groupOfResource).filter((g): g is string => g !== undefined))) {
        out.push({ stack: p.stack, logicalId: p.logicalId, constructPath: p.constructPath, group, principal: p.name ?? p.constructPath ?? p.logicalId, kind: 'iam-role', via: st.policy });
      }
    }
  }
  for (const stack of assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      if (r.Type !== 'AWS::SageMaker::ModelPackageGroup') continue;
      for (const st of statementsOfDocument(r.Properties?.ModelPackageGroupPolicy)) {
        if (!allowsAction(asList(st.Action).map(readable), 'sagemaker:UpdateModelPackage')) continue;
        for (const { text } of principalAccounts(st.Principal)) {
          out.push({ stack: stack.stackName, logicalId, constructPath: pathOf(r), group: readable(r.Properties?.ModelPackageGroupName) || logicalId, principal: text, kind: 'account', via: 'the registry\'s resource policy' });
        }
      }
    }
  }
  return out;
}

function deployersOf(assembly: SynthesizedAssembly, allPrincipals: AuditPrincipal[]): AuditDelivery['deployers'] {
  const out: AuditDelivery['deployers'] = [];
  const stageRoles = new Map<string, string>();
  for (const stack of assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const stage = r.Type === 'AWS::IAM::Role' ? tagsOf(r)?.[DELIVERY_STAGE_ROLE_TAG] : undefined;
      if (stage === undefined) continue;
      stageRoles.set(logicalId, stage);
      const name = typeof r.Properties?.RoleName === 'string' ? r.Properties.RoleName : pathOf(r) ?? logicalId;
      out.push({ stack: stack.stackName, logicalId, constructPath: pathOf(r), stage, target: `deploy role ${name}`, trustedBy: trustOf(r.Properties?.AssumeRolePolicyDocument).map((t) => t.principal) });
    }
  }
  for (const stack of assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const starters = [
        ...allPrincipals.filter((p) => p.statements.some((st) => st.effect === 'Allow' && allowsAction(st.actions, 'states:StartExecution') && st.resources.some((x) => x === '*' || x.includes(logicalId))))
          .map((p) => `role ${p.name ?? p.constructPath ?? p.logicalId}`),
        ...Object.entries(stack.resources).filter(([, x]) => x.Type === 'AWS::Events::Rule' && asList(x.Properties?.Targets).some((t) => refersTo(asObject(t)?.Arn, logicalId)))
          .map(([ruleId, x]) => `EventBridge rule ${pathOf(x) ?? ruleId}`),
      ];
      out.push({ stack: stack.stackName, logicalId, constructPath: pathOf(r), stage: 'every stage', target: `delivery state machine ${readable(r.Properties?.StateMachineName) || pathOf(r) || logicalId}`, trustedBy: starters });
      // The roles of the stages it deploys to: what its own role may assume.
      const roleId = readable(r.Properties?.RoleArn);
      const role = allPrincipals.find((p) => p.stack === stack.stackName && p.logicalId === roleId);
      const assumable = (p: AuditPrincipal | undefined, principalId: string, by: string) => {
        for (const st of p?.statements ?? []) {
          if (st.effect !== 'Allow' || !allowsAction(st.actions, 'sts:AssumeRole')) continue;
          for (const target of st.resources) {
            const account = /:iam::(\d{12}):/.exec(target)?.[1];
            out.push({ stack: stack.stackName, logicalId: principalId, constructPath: p?.constructPath, stage: stageRoles.get(target) ?? (account ? `account ${account}` : 'unknown'), target, trustedBy: [by] });
          }
        }
      };
      assumable(role, roleId, `delivery state machine ${logicalId} (role ${role?.name ?? role?.constructPath ?? roleId})`);
      // Stages in other regions are deployed through a function the state machine invokes: the roles that function's role may assume.
      for (const [fnId, fn] of Object.entries(stack.resources).filter(([, x]) => x.Type === 'AWS::Lambda::Function')) {
        const invoked = role?.statements.some((st) => st.effect === 'Allow' && allowsAction(st.actions, 'lambda:InvokeFunction') && st.resources.some((x) => x === fnId || x.startsWith(`${fnId}:`)));
        if (!invoked) continue;
        const fnRoleId = readable(fn.Properties?.Role);
        const fnRole = allPrincipals.find((p) => p.stack === stack.stackName && p.logicalId === fnRoleId);
        assumable(fnRole, fnRoleId, `delivery state machine ${logicalId}, through function ${readable(fn.Properties?.FunctionName) || pathOf(fn) || fnId} (role ${fnRole?.name ?? fnRole?.constructPath ?? fnRoleId})`);
      }
    }
  }
  return out;
}

const GRANT_POLICIES: Record<string, { kind: AuditDelivery['crossAccountGrants'][number]['resourceKind']; policy: string }> = {
  'AWS::S3::BucketPolicy': { kind: 's3-bucket', policy: 'PolicyDocument' },
  'AWS::KMS::Key': { kind: 'kms-key', policy: 'KeyPolicy' },
  'AWS::SageMaker::ModelPackageGroup': { kind: 'model-package-group', policy: 'ModelPackageGroupPolicy' },
  'AWS::IAM::Role': { kind: 'iam-role', policy: 'AssumeRolePolicyDocument' },
  'AWS::ECR::Repository': { kind: 'ecr-repository', policy: 'RepositoryPolicyText' },
};

/** Every Allow statement of a resource policy or trust policy that names an account other than the stack's. */
function crossAccountGrantsOf(assembly: SynthesizedAssembly): AuditDelivery['crossAccountGrants'] {
  const out: AuditDelivery['crossAccountGrants'] = [];
  for (const stack of assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      const how = GRANT_POLICIES[r.Type];
      if (!how) continue;
      for (const st of statementsOfDocument(r.Properties?.[how.policy])) {
        for (const { account } of principalAccounts(st.Principal)) {
          if (account === stack.account) continue;
          const resource = how.kind === 'iam-role' ? `role ${readable(r.Properties?.RoleName) || pathOf(r) || logicalId}` : how.kind === 's3-bucket' ? asList(st.Resource).map(readable).join(', ') : how.kind === 'kms-key' ? `key ${pathOf(r) ?? logicalId}` : asList(st.Resource).map(readable).join(', ') || logicalId;
          out.push({ stack: stack.stackName, logicalId, constructPath: pathOf(r), account, ...(stack.region ? { region: stack.region } : {}), resourceKind: how.kind, resource, actions: asList(st.Action).map(readable), conditions: conditions(st.Condition) });
        }
      }
    }
  }
  return out;
}

/** The delivery section: approvers, stage deployers and cross-account grants. */
export function deliveryOf(assembly: SynthesizedAssembly, allPrincipals: AuditPrincipal[]): AuditDelivery {
  return { approvers: approversOf(assembly, allPrincipals), deployers: deployersOf(assembly, allPrincipals), crossAccountGrants: crossAccountGrantsOf(assembly) };
}

/** Both targets' governance: 'baseline' if either is, 'strict' only when both are; unknown only when neither says. */
function mergeGovernance(a: AuditReport['governance'], b: AuditReport['governance'] | undefined, targets: { a: AuditReport['source']['targets']; b: AuditReport['source']['targets'] }): AuditReport['governance'] {
  const other = b ?? { level: 'unknown' as const, requiredTags: [] };
  const byTarget = [
    ...(a.targets ?? targets.a.map((target) => ({ target, level: a.level, requiredTags: a.requiredTags }))),
    ...targets.b.map((target) => ({ target, level: other.level, requiredTags: other.requiredTags })),
  ];
  const known = [a, other].filter((g) => g.level !== 'unknown');
  return {
    level: known.length === 0 ? 'unknown' : known.some((g) => g.level === 'baseline') ? 'baseline' : 'strict',
    requiredTags: [...new Set([...a.requiredTags, ...other.requiredTags])],
    permissionsBoundary: a.permissionsBoundary ?? b?.permissionsBoundary,
    targets: byTarget,
  };
}

function mergeTags(a: AuditReport['tags'], b: AuditReport['tags']): AuditReport['tags'] {
  return {
    requiredTags: [...new Set([...a.requiredTags, ...b.requiredTags])],
    checked: a.checked + b.checked,
    compliant: a.compliant + b.compliant,
    missing: [...a.missing, ...b.missing],
    exempt: [...a.exempt, ...b.exempt],
  };
}
