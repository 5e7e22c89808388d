/**
 * The people of an MLOps platform as IAM roles an identity provider maps to (IAM Identity Center
 * permission sets, SAML or OIDC federation assume them through the account): data scientist, ML
 * engineer, auditor. Each role's permissions are one customer-managed policy of named actions
 * (no `*`), scoped to the platform's resources by its tag; what a persona must never do is an
 * explicit Deny, so no other policy can grant it by accident.
 */
import { ArnFormat, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { justifyWildcards, WildcardJustification } from './private/execution-role';
import { subjectOf } from './private/validation';

export interface PersonasProps {
  /**
   * The tag that marks the platform's resources (a platform tags every resource it creates):
   * personas act only on resources carrying it.
   */
  readonly scopeTag: { readonly key: string; readonly value: string };
  /**
   * Who may assume the persona roles. The account root delegates to the account's own IAM: a
   * federated role (SAML, OIDC, IAM Identity Center) then needs sts:AssumeRole on the persona.
   * @default - the account root of the stack's account
   */
  readonly assumedBy?: iam.IPrincipal;
  /**
   * Where the audit report is published, for the auditor to read.
   * @default - no report access
   */
  readonly auditReport?: { readonly bucket: s3.IBucket; readonly prefix: string; readonly key?: kms.IKey };
  /**
   * The key the platform's model cards are encrypted with (their SecurityConfig): SageMaker decrypts
   * a card with the caller's KMS permissions, so the auditor may use it through SageMaker only.
   * @default - the auditor reads no encrypted card
   */
  readonly modelCardKey?: kms.IKey;
  /**
   * Execution roles the ML engineer may pass to SageMaker when deploying (iam:PassRole, conditioned
   * on iam:PassedToService).
   * @default - roles whose name starts with the stack name's platform prefix: `role/<scopeTag.value>-*`
   */
  readonly executionRoleArns?: string[];
  /** @default - none */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

const TAG_KEY = /^[\w.:/=+\-@ ]{1,128}$/;

/** Actions that deploy a model or approve a version: the data scientist may never do them. */
export const DEPLOY_AND_APPROVE_ACTIONS = [
  'sagemaker:CreateEndpoint', 'sagemaker:CreateEndpointConfig', 'sagemaker:UpdateEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities', 'sagemaker:DeleteEndpoint',
  'sagemaker:CreateModel', 'sagemaker:UpdateModelPackage', 'sagemaker:CreateInferenceComponent', 'sagemaker:UpdateInferenceComponent',
];

/** Actions that change anything: the auditor may never do them. */
const WRITE_DENY_FOR_AUDITOR = [
  'sagemaker:Create*', 'sagemaker:Update*', 'sagemaker:Delete*', 'sagemaker:Start*', 'sagemaker:Stop*', 'sagemaker:Put*', 'sagemaker:InvokeEndpoint*',
  'sagemaker:GetRecord', 'sagemaker:BatchGetRecord', 'iam:PassRole', 's3:PutObject', 's3:DeleteObject', 'kms:Decrypt',
];

export class Personas extends Construct {
  /** Runs pipelines, reads features and experiments; cannot deploy or approve. */
  public readonly dataScientist: iam.Role;
  /** Deploys models and approves registry versions. */
  public readonly mlEngineer: iam.Role;
  /** Reads everything about the platform's configuration and the audit report; changes nothing, reads no data. */
  public readonly auditor: iam.Role;

  constructor(scope: Construct, id: string, props: PersonasProps) {
    const issues: ValidationIssue[] = [];
    if (!TAG_KEY.test(props.scopeTag.key)) issues.push({ path: 'scopeTag.key', message: 'is not a valid tag key', got: renderValue(props.scopeTag.key), expected: '1-128 letters, digits, spaces and _.:/=+-@' });
    if (props.scopeTag.value.length === 0 || props.scopeTag.value.length > 256) issues.push({ path: 'scopeTag.value', message: 'is not a valid tag value', got: renderValue(props.scopeTag.value), expected: '1-256 characters' });
    if (issues.length) throw new MlopsValidationError(subjectOf('Personas', scope, id), issues);
    super(scope, id);
    const stack = Stack.of(this);
    const sm = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const tagged = { StringEquals: { [`aws:ResourceTag/${props.scopeTag.key}`]: props.scopeTag.value } };
    const assumedBy = props.assumedBy ?? new iam.AccountRootPrincipal();
    const tagScoped: WildcardJustification = {
      finding: /^Resource::arn:<AWS::Partition>:sagemaker:.*:[a-z-]+\/\*$/,
      reason: `SageMaker generates the names of these resources; the statement is limited to the platform's own by its aws:ResourceTag/${props.scopeTag.key} = '${props.scopeTag.value}' condition.`,
    };
    const listOnly: WildcardJustification = {
      finding: /^Resource::\*$/,
      reason: 'SageMaker List and Search actions (and the configuration reads of the auditor) do not support resource-level permissions; they return metadata, never data.',
    };
    const role = (rid: string, description: string, statements: iam.PolicyStatement[], justifications: WildcardJustification[]) => {
      const r = new iam.Role(this, rid, { assumedBy, description, permissionsBoundary: props.permissionsBoundary });
      const policy = new iam.ManagedPolicy(this, `${rid}Policy`, { description: `Permissions of the ${description}`, statements });
      r.addManagedPolicy(policy);
      justifyWildcards(policy.node.defaultChild as CfnResource, justifications);
      return r;
    };
    const listAndSearch = new iam.PolicyStatement({
      sid: 'ListAndSearch', // List and Search actions do not support resource-level permissions
      actions: ['sagemaker:ListPipelines', 'sagemaker:ListFeatureGroups', 'sagemaker:ListExperiments', 'sagemaker:ListTrials', 'sagemaker:ListTrialComponents', 'sagemaker:ListModelPackageGroups', 'sagemaker:ListModelPackages', 'sagemaker:ListEndpoints', 'sagemaker:ListModels', 'sagemaker:ListMlflowTrackingServers', 'sagemaker:Search'],
      resources: ['*'],
    });

    this.dataScientist = role('DataScientist', `data scientist persona of ${props.scopeTag.value}: runs pipelines, reads features and experiments`, [
      listAndSearch,
      new iam.PolicyStatement({ sid: 'RunPipelines', actions: ['sagemaker:StartPipelineExecution', 'sagemaker:StopPipelineExecution', 'sagemaker:RetryPipelineExecution', 'sagemaker:DescribePipeline', 'sagemaker:DescribePipelineExecution', 'sagemaker:DescribePipelineDefinitionForExecution', 'sagemaker:ListPipelineExecutions', 'sagemaker:ListPipelineExecutionSteps', 'sagemaker:ListPipelineParametersForExecution'], resources: [sm('pipeline')], conditions: tagged }),
      new iam.PolicyStatement({ sid: 'ReadFeatures', actions: ['sagemaker:DescribeFeatureGroup', 'sagemaker:DescribeFeatureMetadata', 'sagemaker:GetRecord', 'sagemaker:BatchGetRecord'], resources: [sm('feature-group')], conditions: tagged }),
      new iam.PolicyStatement({ sid: 'ReadExperiments', actions: ['sagemaker:DescribeExperiment', 'sagemaker:DescribeTrial', 'sagemaker:DescribeTrialComponent'], resources: [sm('experiment'), sm('experiment-trial'), sm('experiment-trial-component')], conditions: tagged }),
      new iam.PolicyStatement({ sid: 'ReadMlflow', actions: ['sagemaker:DescribeMlflowTrackingServer', 'sagemaker:CreatePresignedMlflowTrackingServerUrl', 'sagemaker-mlflow:AccessUI', 'sagemaker-mlflow:GetExperiment', 'sagemaker-mlflow:GetExperimentByName', 'sagemaker-mlflow:SearchExperiments', 'sagemaker-mlflow:GetRun', 'sagemaker-mlflow:SearchRuns', 'sagemaker-mlflow:GetMetricHistory', 'sagemaker-mlflow:ListArtifacts'], resources: [sm('mlflow-tracking-server')], conditions: tagged }),
      new iam.PolicyStatement({ sid: 'NeverDeployOrApprove', effect: iam.Effect.DENY, actions: DEPLOY_AND_APPROVE_ACTIONS, resources: ['*'] }),
    ], [tagScoped, listOnly]);

    const passable = props.executionRoleArns ?? [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${props.scopeTag.value}-*` })];
    this.mlEngineer = role('MlEngineer', `ML engineer persona of ${props.scopeTag.value}: deploys models and approves registry versions`, [
      listAndSearch,
      new iam.PolicyStatement({ sid: 'Deploy', actions: ['sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities', 'sagemaker:DescribeModel', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeEndpoint', 'sagemaker:AddTags'], resources: [sm('model'), sm('endpoint-config'), sm('endpoint')], conditions: { StringEquals: { [`aws:ResourceTag/${props.scopeTag.key}`]: props.scopeTag.value } } }),
      new iam.PolicyStatement({ sid: 'Approve', actions: ['sagemaker:UpdateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup'], resources: [sm('model-package'), sm('model-package-group')], conditions: tagged }),
      new iam.PolicyStatement({ sid: 'PassExecutionRoles', actions: ['iam:PassRole'], resources: passable, conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
      new iam.PolicyStatement({ sid: 'ReadPipelines', actions: ['sagemaker:DescribePipeline', 'sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutions', 'sagemaker:ListPipelineExecutionSteps'], resources: [sm('pipeline')], conditions: tagged }),
    ], [tagScoped, listOnly, {
      finding: /^Resource::arn:<AWS::Partition>:iam::.*:role\/.*\*$/,
      reason: `The ML engineer passes the platform's execution roles (named after its stacks, '${props.scopeTag.value}-*') and only to sagemaker.amazonaws.com (iam:PassedToService condition).`,
    }]);

    const auditStatements = [
      new iam.PolicyStatement({
        sid: 'ReadConfiguration',
        actions: [
          'sagemaker:Describe*', 'sagemaker:List*', 'sagemaker:Search', 'sagemaker:GetModelPackageGroupPolicy',
          'iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion',
          'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListAliases',
          's3:GetBucketPolicy', 's3:GetEncryptionConfiguration', 's3:GetBucketVersioning', 's3:GetBucketPublicAccessBlock', 's3:GetLifecycleConfiguration', 's3:GetBucketLogging',
          'cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:ListStackResources',
          'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeFlowLogs',
          'cloudwatch:DescribeAlarms',
        ],
        resources: ['*'], // configuration reads, account-wide: an auditor must see what is outside the platform too
      }),
    ];
    const report = props.auditReport;
    const decryptVia: string[] = [];
    if (report) {
      auditStatements.push(new iam.PolicyStatement({ sid: 'ReadAuditReport', actions: ['s3:GetObject'], resources: [report.bucket.arnForObjects(`${report.prefix}*`)] }));
      if (report.key) {
        decryptVia.push(`s3.${stack.region}.amazonaws.com`);
        auditStatements.push(new iam.PolicyStatement({ sid: 'DecryptAuditReport', actions: ['kms:Decrypt'], resources: [report.key.keyArn], conditions: { StringEquals: { 'kms:ViaService': decryptVia[0] } } }));
      }
    }
    // Model cards (governance documents, not data): the platform's, with the key SageMaker decrypts them with.
    auditStatements.push(new iam.PolicyStatement({ sid: 'ReadModelCards', actions: ['sagemaker:DescribeModelCard', 'sagemaker:ListModelCardVersions'], resources: [sm('model-card')], conditions: tagged }));
    auditStatements.push(new iam.PolicyStatement({ sid: 'ListModelCards', actions: ['sagemaker:ListModelCards'], resources: ['*'] }));
    if (props.modelCardKey) {
      const viaSageMaker = `sagemaker.${stack.region}.amazonaws.com`;
      decryptVia.push(viaSageMaker);
      auditStatements.push(new iam.PolicyStatement({ sid: 'DecryptModelCards', actions: ['kms:Decrypt'], resources: [props.modelCardKey.keyArn], conditions: { StringEquals: { 'kms:ViaService': viaSageMaker } } }));
    }
    // Decrypting is reading data: denied, except through the services that hold the report and the cards.
    auditStatements.push(new iam.PolicyStatement({ sid: 'NeverChangeOrReadData', effect: iam.Effect.DENY, actions: WRITE_DENY_FOR_AUDITOR.filter((a) => decryptVia.length === 0 || a !== 'kms:Decrypt'), resources: ['*'] }));
    if (decryptVia.length > 0) {
      auditStatements.push(new iam.PolicyStatement({ sid: 'NeverDecryptElsewhere', effect: iam.Effect.DENY, actions: ['kms:Decrypt'], resources: ['*'], conditions: { StringNotEquals: { 'kms:ViaService': decryptVia } } }));
    }
    this.auditor = role('Auditor', `auditor persona of ${props.scopeTag.value}: read-only over configuration and the audit report`, auditStatements, [listOnly, tagScoped, {
      finding: /^Action::sagemaker:(Describe|List)\*$/,
      reason: "The auditor reads every SageMaker resource's configuration (Describe and List actions only, read-only); writes, invocations and feature reads are explicitly denied.",
    }, {
      finding: /^Resource::.*\/\*$/,
      reason: 'The auditor reads the audit report objects under its prefix, whose file names the report generator chooses.',
    }]);
  }
}
