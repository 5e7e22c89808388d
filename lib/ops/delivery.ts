/**
 * Operating model delivery (a model package group whose approved versions a Step Functions state
 * machine deploys stage by stage, through CloudFormation): approving a version for a stage's manual
 * gate (`mlops promote --stage`), which version serves in each stage (`mlops status <group>`), and
 * rolling a stage back through the same state machine (`mlops rollback <group> --stage`), so the
 * stacks stay the source of truth. The names shared with the state machine are in
 * lib/spec/delivery-contract.ts.
 */
import {
  DescribeModelPackageCommand, DescribeModelPackageGroupCommand, ListTagsCommand, ModelPackageSummary, paginateListModelPackages,
  SageMakerClient, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { randomUUID } from 'crypto';
import {
  APPROVED_FOR_STAGE_PREFIX, approvedForStageKey, CUSTOMER_METADATA_KEY_MAX, CUSTOMER_METADATA_PATTERN, CUSTOMER_METADATA_VALUE_MAX,
  DELIVERY_TAG, DeliveryExecutionInput, SERVING_IN_STAGE_PREFIX, servingInStageKey,
} from '../spec/delivery-contract';
import { CallContext, explain, OpsError } from './errors';
import { OpsContext } from './ops';

export interface StageMark {
  readonly stage: string;
  /** The metadata value: the deploy time (serving) or the approval record (approved). */
  readonly value: string;
}

export interface VersionDelivery {
  readonly version?: number;
  readonly arn: string;
  readonly approvalStatus: string;
  readonly created?: string;
  /** The stages this version serves in (`cdk-mlops:stage:<stage>`). */
  readonly servingIn: StageMark[];
  /** The stages whose manual gate this version passed (`cdk-mlops:approved:<stage>`). */
  readonly approvedFor: StageMark[];
}

export interface GroupDeliveryStatus {
  readonly group: string;
  /** The delivery state machine (the group's `cdk-mlops:delivery` tag); undefined: no delivery. */
  readonly deliveryStateMachineArn?: string;
  /** Newest first. */
  readonly versions: VersionDelivery[];
  /** Every stage some version serves in, with that version, in the order the versions were deployed. */
  readonly stages: { readonly stage: string; readonly version?: number; readonly arn: string; readonly since: string }[];
}

export interface StageApprovalResult {
  readonly group: string;
  readonly version?: number;
  readonly arn: string;
  readonly stage: string;
  /** The metadata key written (`cdk-mlops:approved:<stage>`) and its value. */
  readonly key: string;
  readonly value: string;
  /** false when the version was approved for the stage already (nothing written). */
  readonly changed: boolean;
  /** The delivery state machine whose gate waits for it, when the group has one. */
  readonly deliveryStateMachineArn?: string;
}

export interface StageRollbackResult {
  readonly group: string;
  readonly stage: string;
  readonly stateMachineArn: string;
  readonly executionArn: string;
  readonly from: { readonly version?: number; readonly arn: string };
  readonly to: { readonly version?: number; readonly arn: string };
  /** false when the version to return to has no approval for the stage: a manual gate will wait for `mlops promote --stage`. */
  readonly approvedForStage: boolean;
}

export interface DeliveryOpsOptions extends OpsContext {
  /** The Step Functions client for a region (the state machine's, from its ARN). */
  readonly sfnClient: (region: string) => SFNClient;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

const iso = (d?: Date): string | undefined => (d ? d.toISOString() : undefined);
/** `version 3`, or the ARN of a version without a number. */
export function versionText(v: { version?: number; arn: string }): string {
  return v.version !== undefined ? `version ${v.version}` : v.arn;
}

/** The marks of one kind in a version's customer metadata, by stage. */
function marks(metadata: Record<string, string> | undefined, prefix: string): StageMark[] {
  return Object.entries(metadata ?? {}).filter(([k]) => k.startsWith(prefix) && k.length > prefix.length).map(([k, value]) => ({ stage: k.slice(prefix.length), value }));
}

/** A stage name must make a customer metadata key SageMaker accepts. */
export function checkStageName(stage: string): void {
  const key = approvedForStageKey(stage);
  if (stage === '' || !CUSTOMER_METADATA_PATTERN.test(stage) || key.length > CUSTOMER_METADATA_KEY_MAX) {
    throw new OpsError(`--stage: expected a stage name of letters, digits and _ . : / = + - @ (at most ${CUSTOMER_METADATA_KEY_MAX - APPROVED_FOR_STAGE_PREFIX.length} characters), got '${stage}'`, 2);
  }
}

/** `who` made to fit a customer metadata value (characters SageMaker refuses become `_`). */
function metadataValue(text: string): string {
  return [...text].map((c) => (CUSTOMER_METADATA_PATTERN.test(c) ? c : '_')).join('').slice(0, CUSTOMER_METADATA_VALUE_MAX);
}

export class DeliveryOps {
  private readonly now: () => Date;

  constructor(private readonly client: SageMakerClient, private readonly options: DeliveryOpsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  private async call<T>(action: string, subject: string | undefined, fn: () => Promise<T>, service: CallContext['service'] = 'sagemaker', region = this.options.region): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw explain(e, { action, service, subject, region, profile: this.options.profile, attempts: (e as { $attempts?: number })?.$attempts });
    }
  }

  /** The group's versions (newest first) and its delivery tag; exit 2 when the group does not exist. */
  private async versionsOf(group: string): Promise<{ packages: ModelPackageSummary[]; deliveryStateMachineArn?: string }> {
    const subject = `model package group '${group}'`;
    const d = await this.call('DescribeModelPackageGroup', subject, () => this.client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group })));
    const packages: ModelPackageSummary[] = await this.call('ListModelPackages', subject, async () => {
      const out: ModelPackageSummary[] = [];
      for await (const page of paginateListModelPackages({ client: this.client }, { ModelPackageGroupName: group, ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Descending' })) out.push(...(page.ModelPackageSummaryList ?? []));
      return out;
    });
    packages.sort((a, b) => (b.ModelPackageVersion ?? 0) - (a.ModelPackageVersion ?? 0));
    const tags = d.ModelPackageGroupArn
      ? (await this.call('ListTags', subject, () => this.client.send(new ListTagsCommand({ ResourceArn: d.ModelPackageGroupArn, MaxResults: 100 })))).Tags ?? []
      : [];
    const arn = tags.find((t) => t.Key === DELIVERY_TAG)?.Value;
    return { packages, ...(arn ? { deliveryStateMachineArn: arn } : {}) };
  }

  private async metadataOf(arn: string): Promise<Record<string, string>> {
    const d = await this.call('DescribeModelPackage', `model package '${arn}'`, () => this.client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })));
    return d.CustomerMetadataProperties ?? {};
  }

  private find(group: string, packages: ModelPackageSummary[], version: number): ModelPackageSummary {
    const target = packages.find((p) => p.ModelPackageVersion === version);
    if (!target) throw new OpsError(`model package group '${group}' has no version ${version}; its versions: ${packages.map((p) => `${p.ModelPackageVersion} (${p.ModelApprovalStatus})`).join(', ') || 'none'}`, 2);
    return target;
  }

  /** Every version with its approval status, the stages it serves in and the stages it is approved for. */
  async groupStatus(group: string): Promise<GroupDeliveryStatus> {
    const { packages, deliveryStateMachineArn } = await this.versionsOf(group);
    const versions: VersionDelivery[] = [];
    for (const p of packages) {
      const metadata = await this.metadataOf(p.ModelPackageArn!);
      versions.push({
        ...(p.ModelPackageVersion !== undefined ? { version: p.ModelPackageVersion } : {}),
        arn: p.ModelPackageArn!,
        approvalStatus: p.ModelApprovalStatus ?? 'Unknown',
        ...(p.CreationTime ? { created: iso(p.CreationTime) } : {}),
        servingIn: marks(metadata, SERVING_IN_STAGE_PREFIX),
        approvedFor: marks(metadata, APPROVED_FOR_STAGE_PREFIX),
      });
    }
    const stages = versions.flatMap((v) => v.servingIn.map((m) => ({ stage: m.stage, ...(v.version !== undefined ? { version: v.version } : {}), arn: v.arn, since: m.value })))
      .sort((a, b) => a.since.localeCompare(b.since) || a.stage.localeCompare(b.stage));
    return { group, ...(deliveryStateMachineArn ? { deliveryStateMachineArn } : {}), versions, stages };
  }

  /**
   * Records that `version` passed the manual gate of `stage` (`cdk-mlops:approved:<stage>` = when and
   * by whom): the delivery state machine, waiting at that gate for this version, goes on. Only an
   * Approved version can be approved for a stage (exit 2 otherwise).
   */
  async approveForStage(group: string, version: number, stage: string): Promise<StageApprovalResult> {
    checkStageName(stage);
    const { packages, deliveryStateMachineArn } = await this.versionsOf(group);
    const target = this.find(group, packages, version);
    if (target.ModelApprovalStatus !== 'Approved') {
      throw new OpsError(`${group} version ${version} is ${target.ModelApprovalStatus ?? 'not approved'}: only an Approved version can be approved for stage '${stage}'; approve it first with mlops promote ${group} --version ${version} (which starts its delivery)`, 2);
    }
    const arn = target.ModelPackageArn!;
    const key = approvedForStageKey(stage);
    const existing = (await this.metadataOf(arn))[key];
    const base = { group, version, arn, stage, key, ...(deliveryStateMachineArn ? { deliveryStateMachineArn } : {}) };
    if (existing !== undefined) return { ...base, value: existing, changed: false };
    const value = metadataValue(`${this.now().toISOString()} by mlops promote${this.options.profile ? ` profile ${this.options.profile}` : ''}`);
    await this.call('UpdateModelPackage', `model package '${arn}'`, () => this.client.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, CustomerMetadataProperties: { [key]: value } })));
    return { ...base, value, changed: true };
  }

  /**
   * Returns `stage` to the version that served there before (the newest Approved version older than
   * the one serving now) or to `toVersion`, by starting the group's delivery state machine with
   * `{ modelPackageArn, stages: [stage] }`: the stage's stack is deployed with that version, so the
   * next deploy does not undo the rollback. Exit 2 when the group has no delivery (roll back its
   * endpoint instead) or the version is unknown or not Approved; exit 1 when nothing serves in the
   * stage or there is no earlier Approved version.
   */
  async rollbackStage(group: string, stage: string, toVersion?: number): Promise<StageRollbackResult> {
    checkStageName(stage);
    const { packages, deliveryStateMachineArn } = await this.versionsOf(group);
    if (!deliveryStateMachineArn) {
      throw new OpsError(`model package group '${group}' has no delivery state machine (no '${DELIVERY_TAG}' tag): its endpoint serves the registryVersion its spec pins; pin the earlier version and deploy, or roll the endpoint back with mlops rollback <endpoint>`, 2);
    }
    const approved = packages.filter((p) => p.ModelApprovalStatus === 'Approved');
    const metadata = new Map<string, Record<string, string>>();
    for (const p of approved) metadata.set(p.ModelPackageArn!, await this.metadataOf(p.ModelPackageArn!));
    const serving = approved.find((p) => metadata.get(p.ModelPackageArn!)?.[servingInStageKey(stage)] !== undefined);
    if (!serving) throw new OpsError(`no version of '${group}' serves in stage '${stage}' (no Approved version carries '${servingInStageKey(stage)}'): there is nothing to roll back`, 1);
    let target: ModelPackageSummary | undefined;
    if (toVersion !== undefined) {
      target = this.find(group, packages, toVersion);
      if (target.ModelApprovalStatus !== 'Approved') throw new OpsError(`${group} version ${toVersion} is ${target.ModelApprovalStatus ?? 'not approved'}: delivery deploys only Approved versions`, 2);
      if (target.ModelPackageArn === serving.ModelPackageArn) throw new OpsError(`${group} version ${toVersion} already serves in stage '${stage}'`, 2);
    } else {
      target = approved.find((p) => (p.ModelPackageVersion ?? 0) < (serving.ModelPackageVersion ?? 0));
      if (!target) throw new OpsError(`${group} has no Approved version older than version ${serving.ModelPackageVersion} (serving in stage '${stage}') to return to; pass --version N`, 1);
    }
    const targetArn = target.ModelPackageArn!;
    const input: DeliveryExecutionInput = { modelPackageArn: targetArn, stages: [stage] };
    const region = /^arn:[^:]+:states:([^:]+):/.exec(deliveryStateMachineArn)?.[1] ?? this.options.region ?? '';
    const sfn = this.options.sfnClient(region);
    const name = `rollback-${stage.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 30)}-v${target.ModelPackageVersion ?? 0}-${randomUUID().slice(0, 8)}`;
    const out = await this.call('StartExecution', `state machine '${deliveryStateMachineArn}'`,
      () => sfn.send(new StartExecutionCommand({ stateMachineArn: deliveryStateMachineArn, name, input: JSON.stringify(input) })), 'states', region);
    const targetMetadata = metadata.get(targetArn) ?? {};
    return {
      group, stage, stateMachineArn: deliveryStateMachineArn, executionArn: out.executionArn!,
      from: { ...(serving.ModelPackageVersion !== undefined ? { version: serving.ModelPackageVersion } : {}), arn: serving.ModelPackageArn! },
      to: { ...(target.ModelPackageVersion !== undefined ? { version: target.ModelPackageVersion } : {}), arn: targetArn },
      approvedForStage: targetMetadata[approvedForStageKey(stage)] !== undefined,
    };
  }
}
