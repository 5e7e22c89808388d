/**
 * Operating a platform through the SageMaker API: what is running (status), approving a model
 * version (promote), returning an endpoint to its previous config (rollback), and running a pipeline.
 * Every list is paginated with the SDK's paginators; every call goes through one error explainer.
 */
import {
  DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelPackageGroupCommand, DescribeMonitoringScheduleCommand,
  DescribePipelineCommand, DescribePipelineExecutionCommand, EndpointConfigSummary, ListPipelineExecutionsCommand, ListTagsCommand,
  ModelPackageSummary, paginateListEndpointConfigs, paginateListEndpoints, paginateListModelPackages, paginateListMonitoringSchedules,
  paginateListPipelineExecutionSteps, paginateListPipelines, PipelineExecutionStep, SageMakerClient, StartPipelineExecutionCommand,
  UpdateEndpointCommand, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { randomUUID } from 'crypto';
import { DELIVERY_TAG } from '../spec/delivery-contract';
import { explain, OpsError } from './errors';
import { endpointVariants, VariantStatus } from './variants';

export interface OpsContext {
  readonly region?: string;
  readonly profile?: string;
}

export interface EndpointStatus {
  readonly name: string;
  readonly status: string;
  readonly endpointConfigName?: string;
  readonly lastModified?: string;
  /** Production and shadow variants (lib/ops/variants.ts). */
  readonly variants: VariantStatus[];
  /** SageMaker's failure reason: set after a failed or rolled-back update. */
  readonly failureReason?: string;
  /** true when the last update was rolled back (the endpoint is in service on its old config, with a failure reason). */
  readonly rolledBack: boolean;
  /** The alarms that roll a blue/green deployment back, from the last deployment config. */
  readonly rollbackAlarms: string[];
}

export interface PipelineStatus {
  readonly name: string;
  readonly lastExecution?: { readonly status: string; readonly started?: string; readonly arn: string; readonly failureReason?: string };
}

export interface MonitoringStatus {
  readonly name: string;
  readonly status: string;
  readonly endpoint?: string;
  readonly lastExecution?: { readonly status: string; readonly scheduledTime?: string; readonly failureReason?: string };
}

export interface PendingPackage {
  readonly group: string;
  readonly version?: number;
  readonly arn: string;
  readonly created?: string;
}

export interface PlatformStatus {
  readonly endpoints: EndpointStatus[];
  readonly pipelines: PipelineStatus[];
  readonly monitoringSchedules: MonitoringStatus[];
  readonly pendingApproval: PendingPackage[];
}

export interface PromoteResult {
  readonly group: string;
  readonly version?: number;
  readonly arn: string;
  /** The version that was Approved before (the latest other Approved one), if any. */
  readonly supersedes?: { readonly version?: number; readonly arn: string };
  /** false when it was Approved already (nothing changed). */
  readonly changed: boolean;
  /** The state machine that delivers the group's approved versions (its `cdk-mlops:delivery` tag), when it has one. */
  readonly deliveryStateMachineArn?: string;
}

export interface RollbackResult {
  readonly endpoint: string;
  readonly from: string;
  readonly to: string;
  readonly retainedVariantProperties: boolean;
  /** The CloudFormation stack that made the endpoint's config (its `aws:cloudformation:stack-name` tag), when it did. */
  readonly stackName?: string;
}

export interface RunProgress {
  readonly status: string;
  readonly steps: { readonly name: string; readonly status: string; readonly failureReason?: string }[];
}

export interface RunResult {
  readonly arn: string;
  readonly status: string;
  readonly failureReason?: string;
  readonly steps: RunProgress['steps'];
}

const iso = (d?: Date): string | undefined => (d ? d.toISOString() : undefined);
const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);

export class SageMakerOps {
  constructor(private readonly client: SageMakerClient, private readonly ctx: OpsContext = {}) {}

  /** Runs one call; any failure becomes one readable OpsError naming the action and subject. */
  private async call<T>(action: string, subject: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw explain(e, { action, subject, region: this.ctx.region, profile: this.ctx.profile, attempts: (e as { $attempts?: number })?.$attempts });
    }
  }

  private async collect<P, T>(action: string, subject: string | undefined, pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> {
    return this.call(action, subject, async () => {
      const out: T[] = [];
      for await (const page of pages) out.push(...(pick(page) ?? []));
      return out;
    });
  }

  /** Fails fast, with one line, when no region can be resolved. */
  async checkRegion(): Promise<string> {
    try {
      const region = await this.client.config.region();
      if (!region) throw new Error('Region is missing');
      return region;
    } catch (e) {
      throw explain(e, { action: 'resolve region' });
    }
  }

  // ------------------------------------------------------------------------------------------
  // status
  // ------------------------------------------------------------------------------------------

  async status(nameContains?: string): Promise<PlatformStatus> {
    const filter = nameContains ? { NameContains: nameContains } : {};
    const endpointSummaries = await this.collect('ListEndpoints', 'endpoints', paginateListEndpoints({ client: this.client }, filter), (p) => p.Endpoints);
    const endpoints: EndpointStatus[] = [];
    for (const summary of endpointSummaries) {
      const name = summary.EndpointName!;
      const d = await this.call('DescribeEndpoint', `endpoint '${name}'`, () => this.client.send(new DescribeEndpointCommand({ EndpointName: name })));
      const failureReason = d.FailureReason || undefined;
      endpoints.push({
        name,
        status: d.EndpointStatus ?? 'Unknown',
        endpointConfigName: d.EndpointConfigName,
        lastModified: iso(d.LastModifiedTime),
        variants: endpointVariants(d),
        ...(failureReason ? { failureReason } : {}),
        rolledBack: d.EndpointStatus === 'InService' && failureReason !== undefined,
        rollbackAlarms: (d.LastDeploymentConfig?.AutoRollbackConfiguration?.Alarms ?? []).map((a) => a.AlarmName ?? '?'),
      });
    }

    const pipelineSummaries = await this.collect('ListPipelines', 'pipelines', paginateListPipelines({ client: this.client }, nameContains ? { PipelineNamePrefix: nameContains } : {}), (p) => p.PipelineSummaries);
    const pipelines: PipelineStatus[] = [];
    for (const p of pipelineSummaries) {
      const name = p.PipelineName!;
      const last = await this.call('ListPipelineExecutions', `pipeline '${name}'`, () => this.client.send(new ListPipelineExecutionsCommand({ PipelineName: name, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 })));
      const e = last.PipelineExecutionSummaries?.[0];
      pipelines.push({ name, ...(e ? { lastExecution: { status: e.PipelineExecutionStatus ?? 'Unknown', started: iso(e.StartTime), arn: e.PipelineExecutionArn ?? '', ...(e.PipelineExecutionFailureReason ? { failureReason: e.PipelineExecutionFailureReason } : {}) } } : {}) });
    }

    const scheduleSummaries = await this.collect('ListMonitoringSchedules', 'monitoring schedules', paginateListMonitoringSchedules({ client: this.client }, filter), (p) => p.MonitoringScheduleSummaries);
    const monitoringSchedules: MonitoringStatus[] = [];
    for (const s of scheduleSummaries) {
      const name = s.MonitoringScheduleName!;
      const d = await this.call('DescribeMonitoringSchedule', `monitoring schedule '${name}'`, () => this.client.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: name })));
      const last = d.LastMonitoringExecutionSummary;
      monitoringSchedules.push({
        name,
        status: d.MonitoringScheduleStatus ?? s.MonitoringScheduleStatus ?? 'Unknown',
        ...(d.EndpointName ? { endpoint: d.EndpointName } : {}),
        ...(last ? { lastExecution: { status: last.MonitoringExecutionStatus ?? 'Unknown', scheduledTime: iso(last.ScheduledTime), ...(last.FailureReason ? { failureReason: last.FailureReason } : {}) } } : {}),
      });
    }

    const pending = await this.collect('ListModelPackages', 'model packages', paginateListModelPackages({ client: this.client }, { ModelApprovalStatus: 'PendingManualApproval', ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Descending', ...(nameContains ? { NameContains: nameContains } : {}) }), (p) => p.ModelPackageSummaryList);
    return {
      endpoints,
      pipelines,
      monitoringSchedules,
      pendingApproval: pending.map((m) => ({ group: m.ModelPackageGroupName ?? '?', ...(m.ModelPackageVersion !== undefined ? { version: m.ModelPackageVersion } : {}), arn: m.ModelPackageArn ?? '', created: iso(m.CreationTime) })),
    };
  }

  // ------------------------------------------------------------------------------------------
  // promote
  // ------------------------------------------------------------------------------------------

  async promote(group: string, version?: number): Promise<PromoteResult> {
    const g = await this.call('DescribeModelPackageGroup', `model package group '${group}'`, () => this.client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group })));
    const delivery = g.ModelPackageGroupArn ? (await this.tagsOf(g.ModelPackageGroupArn))[DELIVERY_TAG] : undefined;
    const packages: ModelPackageSummary[] = await this.collect('ListModelPackages', `model package group '${group}'`,
      paginateListModelPackages({ client: this.client }, { ModelPackageGroupName: group, ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Descending' }), (p) => p.ModelPackageSummaryList);
    const versions = packages.map((p) => `${p.ModelPackageVersion} (${p.ModelApprovalStatus})`).join(', ') || 'none';
    let target: ModelPackageSummary | undefined;
    if (version !== undefined) {
      target = packages.find((p) => p.ModelPackageVersion === version);
      if (!target) throw new OpsError(`model package group '${group}' has no version ${version}; its versions: ${versions}`, 2);
    } else {
      target = packages.find((p) => p.ModelApprovalStatus === 'PendingManualApproval');
      if (!target) throw new OpsError(`nothing to promote: no version of '${group}' is PendingManualApproval (versions: ${versions}); pass --version N to approve a specific one`, 1);
    }
    const previous = packages
      .filter((p) => p.ModelApprovalStatus === 'Approved' && p.ModelPackageArn !== target.ModelPackageArn)
      .sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0))[0];
    const supersedes = previous ? { ...(previous.ModelPackageVersion !== undefined ? { version: previous.ModelPackageVersion } : {}), arn: previous.ModelPackageArn ?? '' } : undefined;
    const base = { group, ...(target.ModelPackageVersion !== undefined ? { version: target.ModelPackageVersion } : {}), arn: target.ModelPackageArn!, ...(supersedes ? { supersedes } : {}), ...(delivery ? { deliveryStateMachineArn: delivery } : {}) };
    if (target.ModelApprovalStatus === 'Approved') return { ...base, changed: false };
    await this.call('UpdateModelPackage', `model package '${target.ModelPackageArn}'`, () => this.client.send(new UpdateModelPackageCommand({
      ModelPackageArn: target.ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'Approved with mlops promote',
    })));
    return { ...base, changed: true };
  }

  // ------------------------------------------------------------------------------------------
  // rollback
  // ------------------------------------------------------------------------------------------

  private async tagsOf(arn: string): Promise<Record<string, string>> {
    const out = await this.call('ListTags', `'${arn}'`, () => this.client.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 100 })));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  /**
   * The config the endpoint ran before its current one: the newest endpoint config created before
   * the current config that CloudFormation made for the same resource (same `aws:cloudformation:stack-name`
   * and `aws:cloudformation:logical-id` tags), or, for configs made outside CloudFormation, with the
   * same name but for a trailing `-suffix`. Undefined when none exists.
   */
  async previousEndpointConfig(endpoint: string): Promise<{ current: string; previous?: string; status: string; stackName?: string }> {
    const d = await this.call('DescribeEndpoint', `endpoint '${endpoint}'`, () => this.client.send(new DescribeEndpointCommand({ EndpointName: endpoint })));
    const current = d.EndpointConfigName!;
    const config = await this.call('DescribeEndpointConfig', `endpoint config '${current}'`, () => this.client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: current })));
    const tags = await this.tagsOf(config.EndpointConfigArn!);
    const stackName = tags['aws:cloudformation:stack-name'];
    const logicalId = tags['aws:cloudformation:logical-id'];
    const older: EndpointConfigSummary[] = await this.collect('ListEndpointConfigs', 'endpoint configs',
      paginateListEndpointConfigs({ client: this.client }, { CreationTimeBefore: config.CreationTime, SortBy: 'CreationTime', SortOrder: 'Descending' }), (p) => p.EndpointConfigs);
    const family = current.replace(/-[A-Za-z0-9]+$/, '');
    for (const candidate of older) {
      if (!candidate.EndpointConfigName || candidate.EndpointConfigName === current) continue;
      if (stackName && logicalId) {
        const t = await this.tagsOf(candidate.EndpointConfigArn!);
        if (t['aws:cloudformation:stack-name'] === stackName && t['aws:cloudformation:logical-id'] === logicalId) return { current, previous: candidate.EndpointConfigName, status: d.EndpointStatus ?? 'Unknown', stackName };
      } else if (family !== current && candidate.EndpointConfigName.replace(/-[A-Za-z0-9]+$/, '') === family) {
        return { current, previous: candidate.EndpointConfigName, status: d.EndpointStatus ?? 'Unknown' };
      }
    }
    return { current, status: d.EndpointStatus ?? 'Unknown', ...(stackName ? { stackName } : {}) };
  }

  /** Returns the endpoint to `to`, or to its previous config; refuses when it is not InService or there is none. */
  async rollback(endpoint: string, to?: string): Promise<RollbackResult> {
    const { current, previous, status, stackName } = await this.previousEndpointConfig(endpoint);
    if (status !== 'InService') throw new OpsError(`endpoint '${endpoint}' is ${status}: SageMaker updates only an InService endpoint; wait for it (mlops status) and retry`, 1);
    const target = to ?? previous;
    if (!target) {
      throw new OpsError(`endpoint '${endpoint}' has no previous endpoint config to return to (current: '${current}'; cdk-mlops keeps the configs its endpoints replace, so this endpoint was never updated or its older configs were deleted): deploy an earlier model version instead, e.g. mlops promote <group> --version N`, 1);
    }
    if (target === current) throw new OpsError(`endpoint '${endpoint}' already runs '${current}'`, 2);
    const [now, then] = await Promise.all([current, target].map((name) => this.call('DescribeEndpointConfig', `endpoint config '${name}'`, () => this.client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })))));
    // Keep the live instance counts and weights (set by autoscaling) when the variants are the same;
    // SageMaker can only retain them for variants that exist in both configs.
    const names = (c: typeof now) => (c.ProductionVariants ?? []).map((v) => v.VariantName).sort().join(',');
    const retain = names(now) === names(then) && (then.ProductionVariants ?? []).every((v) => !v.ServerlessConfig);
    await this.call('UpdateEndpoint', `endpoint '${endpoint}'`, () => this.client.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: target, RetainAllVariantProperties: retain })));
    return { endpoint, from: current, to: target, retainedVariantProperties: retain, ...(stackName ? { stackName } : {}) };
  }

  // ------------------------------------------------------------------------------------------
  // run
  // ------------------------------------------------------------------------------------------

  /** The pipeline's parameters (name → default), from its definition. */
  async pipelineParameters(pipeline: string): Promise<Map<string, string | undefined>> {
    const d = await this.call('DescribePipeline', `pipeline '${pipeline}'`, () => this.client.send(new DescribePipelineCommand({ PipelineName: pipeline })));
    let definition: { Parameters?: { Name: string; DefaultValue?: unknown }[] } = {};
    try {
      definition = JSON.parse(d.PipelineDefinition ?? '{}') as typeof definition;
    } catch {
      throw new OpsError(`pipeline '${pipeline}' has a definition that is not JSON`, 1);
    }
    return new Map((definition.Parameters ?? []).map((p) => [p.Name, p.DefaultValue === undefined ? undefined : typeof p.DefaultValue === 'object' ? JSON.stringify(p.DefaultValue) : String(p.DefaultValue as string | number | boolean)]));
  }

  async startRun(pipeline: string, params: Record<string, string>): Promise<string> {
    const known = await this.pipelineParameters(pipeline);
    const unknown = Object.keys(params).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new OpsError(`pipeline '${pipeline}' has no parameter ${unknown.map((k) => `'${k}'`).join(', ')}; its parameters: ${[...known.keys()].join(', ') || 'none'}`, 2);
    }
    const out = await this.call('StartPipelineExecution', `pipeline '${pipeline}'`, () => this.client.send(new StartPipelineExecutionCommand({
      PipelineName: pipeline,
      PipelineParameters: Object.entries(params).map(([Name, Value]) => ({ Name, Value })),
      ClientRequestToken: randomUUID(),
    })));
    return out.PipelineExecutionArn!;
  }

  async progress(arn: string): Promise<RunProgress & { failureReason?: string }> {
    const d = await this.call('DescribePipelineExecution', `pipeline execution '${arn}'`, () => this.client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn })));
    const steps: PipelineExecutionStep[] = await this.collect('ListPipelineExecutionSteps', `pipeline execution '${arn}'`,
      paginateListPipelineExecutionSteps({ client: this.client }, { PipelineExecutionArn: arn, SortOrder: 'Ascending' }), (p) => p.PipelineExecutionSteps);
    return {
      status: d.PipelineExecutionStatus ?? 'Unknown',
      ...(d.FailureReason ? { failureReason: d.FailureReason } : {}),
      steps: steps.map((s) => ({ name: s.StepName ?? '?', status: s.StepStatus ?? 'Unknown', ...(s.FailureReason ? { failureReason: s.FailureReason } : {}) })),
    };
  }

  /** Polls until the execution ends, reporting each new step status. */
  async follow(arn: string, options: { intervalMs: number; sleep?: (ms: number) => Promise<void>; onProgress?: (p: RunProgress) => void }): Promise<RunResult> {
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const p = await this.progress(arn);
      options.onProgress?.(p);
      if (TERMINAL.has(p.status)) return { arn, status: p.status, steps: p.steps, ...(p.failureReason ? { failureReason: p.failureReason } : {}) };
      await sleep(options.intervalMs);
    }
  }
}
