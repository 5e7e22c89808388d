/**
 * ModelEndpoint on Kubernetes: the same spec as the AWS ModelEndpoint, rendered as a Deployment,
 * a Service, a HorizontalPodAutoscaler (v2), a PodDisruptionBudget and a NetworkPolicy.
 *
 * How the spec maps (README, "Kubernetes"):
 * - compute: the resolved instance type sizes the pod (3/4 of its vCPUs and memory as requests,
 *   memory limit = request); an NVIDIA or Neuron accelerator becomes an extended-resource limit, a
 *   toleration of the device taint and a node selector on the GPU product (lib/catalog).
 *   Serverless: a CPU pod of `memoryMiB`, scaled between provisionedConcurrency (or 1) and maxConcurrency pods.
 * - scaling: HPA min/max; CPU utilization, plus per-pod custom metrics when asked (requests per second,
 *   GPU utilization); cooldowns become the HPA's stabilization windows.
 * - deployment: always a rolling update with maxUnavailable 0 (capacity never drops); maxSurge is the
 *   share of capacity each step adds (100% all-at-once, canaryPercent, linearStepPercent, rollingBatchPercent);
 *   waitIntervalSeconds is minReadySeconds (each new pod bakes before the next step).
 *   autoRollback: a Deployment halts a failing rollout (old pods keep serving) but does not roll back.
 * - networkIsolation: no egress at all (not even DNS), unless the model loads from the registry.
 * - dataCapture: with a `capture` receiver (RequestCapture), KServe's request logger sends every request and
 *   response to it as CloudEvents: `predictor.logger` under KServe, KServe's agent as a sidecar in front of
 *   the model container of a Deployment (the Service targets the agent's port 9081, as KServe's does).
 * - alarms: PrometheusRules and dashboards of EndpointObservability (observability.ts), from {@link ModelEndpoint.monitoring}.
 * - AWS-only (not rendered): variantName, terminationWaitSeconds.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentV1, DeploymentV1SpecTemplateSpecContainer, DeploymentV1SpecTemplateSpecContainerEnv } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { HorizontalPodAutoscalerV2, HorizontalPodAutoscalerV2SpecMetric } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { NetworkPolicyV1, NetworkPolicyV1SpecEgress, NetworkPolicyV1SpecIngress, NetworkPolicyV1SpecIngressFrom } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { AcceleratorNodeLabel, CatalogError, kubernetesAcceleratorFor } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { DEFAULT_PROMETHEUS, DNS_LABEL, EndpointKubernetesSpec, endpointKubernetesSchema, EndpointSpec, endpointSpecSchema, EndpointSpecInput, PrometheusAccess } from '../../lib/spec';
import { MLFLOW_PORT } from './mlflow-server';
import type { ModelRegistry } from './model-registry';
import { warnNotRendered } from './not-rendered';
import { apiContainerSecurityContext, apiPodSecurityContext, apiScratchVolumes, NETWORK_ISOLATION_LABEL, newServiceAccount, PodSize, podSize, prometheusPeer, restrictedContainerSecurityContext, restrictedPodSpec, ScratchVolume, selectorLabels, sharedMemory, TMP, workloadLabels } from './private/pod';
import { parseProps, subjectOf } from './private/validation';

export interface KubernetesModelSource {
  /** The registry (MLflow) the version is loaded from. */
  readonly registry: ModelRegistry;
  readonly version: number;
}

export interface ModelEndpointProps extends EndpointSpecInput {
  /** The namespace (PlatformNamespace.name). */
  readonly namespace: string;
  /** Name of the Deployment, Service and the rest (a DNS label). */
  readonly name: string;
  /** Label `app.kubernetes.io/part-of` (the platform). */
  readonly partOf: string;
  /**
   * A registry version the serving image loads at start (MODEL_URI=models:/<name>/<version>,
   * MLFLOW_TRACKING_URI). @default - the image carries the model
   */
  readonly source?: KubernetesModelSource;
  /**
   * Where objects that need CRDs go (serving 'kserve'): a construct in a stack of its own, so the
   * typed objects plan on a cluster without the CRDs, and the namespace's literal name there.
   * @default - none: serving 'kserve' is refused
   */
  readonly crdScope?: { readonly scope: Construct; readonly namespace: string };
  /** How the cluster labels GPU nodes (lib/catalog). @default 'nvidia-gfd' (NVIDIA GPU feature discovery) */
  readonly acceleratorNodeLabel?: AcceleratorNodeLabel;
  /**
   * The feature server the model reads features from: its pods get the server's client label and
   * egress to it, and FEATURE_SERVER_URL. @default - none
   */
  readonly featureStore?: FeatureStoreAccess;
  /** The Prometheus admitted to the metrics port. @default - kube-prometheus-stack's: pods 'app.kubernetes.io/name: prometheus' in 'monitoring' */
  readonly prometheus?: PrometheusAccess;
  /**
   * Where the endpoint's requests and responses are logged (dataCapture): a RequestCapture receiver.
   * @default - not captured (dataCapture gets a not-rendered warning when the spec sets it)
   */
  readonly capture?: CaptureTarget;
}

/** A receiver of KServe's request logger (RequestCapture implements it). */
export interface CaptureTarget {
  /** The URL KServe's logger posts CloudEvents to. */
  readonly url: string;
  readonly selector: Record<string, string>;
  readonly port: number;
  /** KServe's agent image, run as the logger sidecar of a plain Deployment. */
  readonly agentImage: string;
}

/** What monitors, alerts and dashboards select an endpoint's objects by. */
export interface EndpointMonitoringTarget {
  readonly name: string;
  readonly namespace: string;
  /** The labels of the serving pods (the Deployment's, or KServe's predictor's). */
  readonly selector: Record<string, string>;
  /** The container port Prometheus scrapes, by name. */
  readonly metricsPortName: string;
  /** The Deployment that runs the pods (KServe names it '<name>-predictor'), and its HorizontalPodAutoscaler. */
  readonly deploymentName: string;
  readonly autoscalerName?: string;
  /** The serving pods' names: '<deployment>-<template hash>-<5 characters>', a PromQL (RE2, fully anchored) pattern. */
  readonly podPattern: string;
  /** NVIDIA GPUs per pod (0: no GPU alerts or panels). */
  readonly gpus: number;
}

/** KServe's agent: the port it serves on in front of the model (KServe's InferenceServiceDefaultAgentPort). */
export const KSERVE_AGENT_PORT = 9081;

/** A Feast feature server as its clients see it (FeatureStore implements it). */
export interface FeatureStoreAccess {
  readonly url: string;
  readonly selector: Record<string, string>;
  readonly port: number;
  /** The labels its NetworkPolicy admits. */
  readonly clientLabels: Record<string, string>;
}

/** The per-pod footprint of an endpoint at full scale, for the namespace's quota. */
export interface EndpointFootprint {
  readonly maxPods: number;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly gpus: number;
  readonly neuronDevices: number;
}

const COMPONENT = 'model-endpoint';
/** A Kubernetes label value. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** The per-pod size and replica bounds. */
interface PodSizing {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly initialReplicas: number;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
  readonly accelerator?: PodSize['accelerator'];
  readonly scratch: readonly ScratchVolume[];
}

interface Rollout {
  readonly surgePercent: number;
  readonly minReadySeconds: number;
  readonly progressDeadlineSeconds: number;
  readonly rolloutMinutes: number;
}

/** What the Deployment and the InferenceService render the same pod from. */
interface PodInputs {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly env: DeploymentV1SpecTemplateSpecContainerEnv[];
  readonly size: PodSizing;
  readonly rollout: Rollout;
}

export class ModelEndpoint extends Construct {
  public readonly spec: EndpointSpec;
  public readonly kubernetes: EndpointKubernetesSpec;
  public readonly serviceAccount: ServiceAccountV1;
  /** The Deployment (serving 'deployment'). */
  public readonly resource?: DeploymentV1;
  public readonly service?: ServiceV1;
  public readonly autoscaler?: HorizontalPodAutoscalerV2;
  /** The KServe InferenceService (serving 'kserve'), in the CRD scope. */
  public readonly inferenceService?: Manifest;
  public readonly disruptionBudget: PodDisruptionBudgetV1;
  public readonly networkPolicy: NetworkPolicyV1;
  /** `http://<name>:<port>` inside the namespace. */
  public readonly url: string;
  /** What the endpoint may use at most (max pods x per-pod requests), for the namespace's ResourceQuota. */
  public readonly footprint: EndpointFootprint;
  /** What monitors, alerts and dashboards select the endpoint's objects by. */
  public readonly monitoring: EndpointMonitoringTarget;
  /** Where requests and responses are logged, when they are. */
  public readonly capture?: CaptureTarget;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const { namespace, name, partOf, source, crdScope, acceleratorNodeLabel, featureStore, prometheus, capture, ...specInput } = props;
    const spec = parseProps('ModelEndpoint', scope, id, endpointSpecSchema, specInput);
    const k8s = parseProps('ModelEndpoint', scope, id, endpointKubernetesSchema, specInput.kubernetes ?? {});
    this.spec = spec;
    this.kubernetes = k8s;
    const subject = subjectOf('ModelEndpoint', scope, id);
    this.validate(subject, props, acceleratorNodeLabel ?? 'nvidia-gfd');
    if (k8s.serving === 'kserve' && !crdScope) {
      throw new MlopsValidationError(subject, [{ path: 'kubernetes.serving', message: "'kserve' needs a scope for CRD objects", got: "'kserve' and no crdScope", expected: "a crdScope (the platform's CRD stack), or serving 'deployment'" }]);
    }
    this.capture = spec.dataCapture.enabled ? capture : undefined;
    this.warnNotRendered(specInput);

    const size = this.sizePod(acceleratorNodeLabel);
    const rollout = this.rolloutOf(size.maxReplicas);
    const labels = workloadLabels(name, COMPONENT, partOf);
    // A logging endpoint resolves its receiver's name: it keeps DNS.
    const isolated = spec.networkIsolation && source === undefined && featureStore === undefined && this.capture === undefined;
    const pod: PodInputs = {
      name, labels, size, rollout,
      selector: selectorLabels(name, COMPONENT),
      podLabels: { ...labels, ...(isolated ? { [NETWORK_ISOLATION_LABEL]: 'true' } : {}), ...source?.registry.server.clientLabels, ...featureStore?.clientLabels },
      env: this.environment(source, featureStore),
    };
    this.serviceAccount = newServiceAccount(this, namespace, name, labels);
    if (crdScope && k8s.serving === 'kserve') {
      this.inferenceService = this.renderInferenceService(crdScope, pod);
      // KServe's Standard mode serves the predictor behind '<name>-predictor' on port 80.
      this.url = `http://${name}-predictor`;
    } else {
      this.resource = this.renderDeployment(namespace, pod);
      this.service = new ServiceV1(this, 'Service', {
        metadata: { name, namespace, labels },
        // With request logging the Service targets KServe's agent, which logs and forwards to the model.
        spec: { type: 'ClusterIP', selector: pod.selector, port: [{ name: 'http', port: k8s.port, targetPort: this.capture ? 'agent' : 'http', protocol: 'TCP' }] },
      });
      this.url = `http://${name}:${k8s.port}`;
      if (size.maxReplicas > size.minReplicas) this.autoscaler = this.renderAutoscaler(namespace, pod, this.resource.metadata.name);
    }
    // One pod at a time may be evicted by a node drain; with a single replica that is a short outage, never a stuck drain.
    this.disruptionBudget = new PodDisruptionBudgetV1(this, 'DisruptionBudget', {
      metadata: { name, namespace, labels },
      spec: { maxUnavailable: '1', selector: { matchLabels: pod.selector } },
    });
    this.networkPolicy = this.renderNetworkPolicy(namespace, pod, { source, featureStore, prometheus: prometheus ?? DEFAULT_PROMETHEUS, capture: this.capture });
    const agent = this.capture ? (k8s.serving === 'kserve' ? KSERVE_INJECTED_AGENT : AGENT_RESOURCES) : { cpuMillis: 0, memoryMiB: 0 };
    this.footprint = {
      maxPods: size.maxReplicas + Math.ceil((size.maxReplicas * rollout.surgePercent) / 100),
      cpuMillis: size.cpuMillis + agent.cpuMillis, memoryMiB: size.memoryMiB + agent.memoryMiB,
      gpus: size.accelerator?.resourceName === 'nvidia.com/gpu' ? size.accelerator.count : 0,
      neuronDevices: size.accelerator?.resourceName === 'aws.amazon.com/neuron' ? size.accelerator.count : 0,
    };
    this.monitoring = this.monitoringTarget(namespace, pod);
  }

  /** What monitors, alerts and dashboards select: KServe's predictor Deployment is '<name>-predictor'. */
  private monitoringTarget(namespace: string, pod: PodInputs): EndpointMonitoringTarget {
    const k8s = this.kubernetes;
    const deploymentName = k8s.serving === 'kserve' ? `${pod.name}-predictor` : pod.name;
    return {
      name: pod.name, namespace, selector: pod.selector, deploymentName,
      metricsPortName: k8s.metricsPort !== undefined && k8s.metricsPort !== k8s.port ? 'metrics' : 'http',
      autoscalerName: pod.size.maxReplicas > pod.size.minReplicas ? deploymentName : undefined,
      podPattern: `${deploymentName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{1,10}-[a-z0-9]{5}`,
      gpus: this.footprint.gpus,
    };
  }

  /** The container ports: the serving port, and the metrics port when it is another. */
  private containerPorts(): { name: string; containerPort: number; protocol: string }[] {
    const k8s = this.kubernetes;
    const ports = [{ name: 'http', containerPort: k8s.port, protocol: 'TCP' }];
    if (k8s.metricsPort !== undefined && k8s.metricsPort !== k8s.port) ports.push({ name: 'metrics', containerPort: k8s.metricsPort, protocol: 'TCP' });
    return ports;
  }

  /**
   * KServe's agent as the request logger of a Deployment, with the arguments KServe's pod mutator
   * gives the agent it injects into a predictor (pkg/webhook/admission/pod/agent_injector.go): it
   * serves on 9081, posts each request and response to the receiver as CloudEvents and forwards
   * to the model container; it checks the model's readiness with SERVING_READINESS_PROBE.
   */
  private loggerSidecar(namespace: string, name: string, capture: CaptureTarget): DeploymentV1SpecTemplateSpecContainer {
    const k8s = this.kubernetes;
    return {
      name: 'agent',
      image: capture.agentImage,
      args: [
        '--port', String(KSERVE_AGENT_PORT), '--component-port', String(k8s.port),
        '--log-url', capture.url, '--source-uri', '$(POD_NAME)', '--log-mode', 'all',
        '--inference-service', name, '--namespace', namespace, '--component', 'predictor',
        '--logger-tls-skip-verify', 'false',
      ],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'SERVING_READINESS_PROBE', value: JSON.stringify({ httpGet: { path: k8s.healthPath, port: k8s.port }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }) },
      ],
      port: [{ name: 'agent', containerPort: KSERVE_AGENT_PORT, protocol: 'TCP' }],
      readinessProbe: { httpGet: { path: k8s.healthPath, port: 'agent', httpHeader: [{ name: 'K-Network-Probe', value: 'queue' }] }, periodSeconds: 10 },
      resources: { requests: { cpu: `${AGENT_RESOURCES.cpuMillis}m`, memory: '128Mi' }, limits: { memory: `${AGENT_RESOURCES.memoryMiB}Mi` } },
      volumeMount: [{ name: TMP.name, mountPath: TMP.path }],
      securityContext: restrictedContainerSecurityContext(),
    };
  }

  /** The InferenceService predictor's logger: KServe injects its agent, which posts to the receiver (no sampling: the receiver samples). */
  private predictorLogger(): Record<string, unknown> {
    return this.capture ? { logger: { mode: 'all', url: this.capture.url } } : {};
  }

  private validate(subject: ReturnType<typeof subjectOf>, props: ModelEndpointProps, nodeLabel: AcceleratorNodeLabel): void {
    const { spec, kubernetes: k8s } = this;
    const { name, partOf } = props;
    const issues: ValidationIssue[] = [];
    if (!DNS_LABEL.test(name)) {
      issues.push({ path: 'name', message: 'is not a Kubernetes object name', got: renderValue(name), expected: 'a DNS-1123 label: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit' });
    } else if (k8s.serving === 'kserve' && name.length > 53) {
      issues.push({ path: 'name', message: "is too long for KServe, which appends '-predictor'", got: `${name.length} characters`, expected: 'at most 53 characters' });
    }
    if (!LABEL_VALUE.test(partOf)) {
      issues.push({ path: 'partOf', message: 'is not a Kubernetes label value', got: renderValue(partOf), expected: 'at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit' });
    }
    if (k8s.image === undefined) {
      issues.push({ path: 'kubernetes.image', message: 'is required on Kubernetes (SageMaker ECR images and S3 model data are AWS-only)', got: 'nothing', expected: "an image reference with a tag or digest, e.g. 'ghcr.io/acme/churn:1.4.0'" });
    }
    const compute = spec.compute;
    if (compute.kind === 'instance' && compute.info === undefined) {
      issues.push({ path: 'compute.instanceType', message: 'must be known at synth time on Kubernetes (it sizes the pod)', got: 'an unresolved token', expected: 'a literal instance type or an accelerator intent' });
    }
    const accelerator = compute.kind === 'instance' ? compute.info?.accelerator?.type : undefined;
    if (spec.scaling?.targetGpuUtilizationPercent !== undefined && compute.kind === 'instance' && accelerator?.startsWith('nvidia-') !== true) {
      issues.push({ path: 'scaling.targetGpuUtilizationPercent', message: 'needs an NVIDIA GPU', got: String(spec.scaling.targetGpuUtilizationPercent), expected: 'an NVIDIA accelerator' });
    }
    if (accelerator !== undefined) {
      try {
        kubernetesAcceleratorFor(accelerator, nodeLabel);
      } catch (e) {
        if (!(e instanceof CatalogError)) throw e;
        issues.push({ path: 'acceleratorNodeLabel', message: e.message, got: e.got, expected: e.expected });
      }
    }
    issues.push(...unsupportedServingIssues(spec));
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);
  }

  /** A warning (a stable id each) for every field of the spec this target does not render. */
  private warnNotRendered(input: EndpointSpecInput): void {
    const awsOnly: [string, unknown, string][] = [
      ...(this.capture ? [] : [['dataCapture', input.dataCapture, 'captured to S3 by SageMaker; on Kubernetes it needs kubernetes.drift.captureUri'] as [string, unknown, string]]),
      ['variantName', input.variantName, 'a SageMaker production variant'],
      ['terminationWaitSeconds', input.deployment?.terminationWaitSeconds, 'how long SageMaker keeps the blue fleet'],
    ];
    for (const [field, value, what] of awsOnly) {
      if (value !== undefined) Annotations.of(this).addWarning(`[cdk-mlops:k8s-aws-only-${field}] ${field} is AWS-only (${what}); it is not rendered on Kubernetes.`);
    }
    const { spec, kubernetes: k8s } = this;
    if (k8s.serving !== 'kserve') return;
    // KServe's HPA mode scales on the predictor's cpu or memory only; Pods and External metrics need KEDA.
    if (spec.scaling?.targetGpuUtilizationPercent !== undefined) {
      warnNotRendered(this, 'scaling.targetGpuUtilizationPercent', "KServe's HPA autoscaler class scales on cpu or memory only (GPU metrics need its KEDA class); the InferenceService scales on CPU.");
    }
    if (k8s.requestsPerSecondMetric !== undefined) {
      warnNotRendered(this, 'kubernetes.requestsPerSecondMetric', "KServe's HPA autoscaler class scales on cpu or memory only (custom metrics need its KEDA class); the InferenceService scales on CPU.");
    }
    for (const field of ['scaleInCooldownSeconds', 'scaleOutCooldownSeconds'] as const) {
      if (input.scaling?.[field] !== undefined) warnNotRendered(this, `scaling.${field}`, "KServe's HPA reconciler gives the HPA it creates an empty behavior: the Kubernetes defaults apply (scale-in after 300 s).");
    }
    // The spec's default bake (300 s) is not a request: warn only when the spec sets one.
    if ((input.deployment?.waitIntervalSeconds ?? 0) > 0) {
      warnNotRendered(this, 'deployment.waitIntervalSeconds', 'a KServe predictor has no minReadySeconds: new pods serve as soon as they are ready.');
    }
    if (input.deployment?.maximumExecutionTimeoutSeconds !== undefined) {
      warnNotRendered(this, 'deployment.maximumExecutionTimeoutSeconds', 'KServe sets no progress deadline on the Deployment it creates.');
    }
  }

  /** Replicas and the per-pod size: the accelerators the spec asks for, and CPU and memory to match (private/pod). */
  private sizePod(nodeLabel: AcceleratorNodeLabel | undefined): PodSizing {
    const { spec, kubernetes: k8s } = this;
    const compute = spec.compute;
    let size: PodSize;
    let replicas: { minReplicas: number; maxReplicas: number; initialReplicas: number };
    if (compute.kind === 'serverless') {
      size = { cpuMillis: 1000, memoryMiB: compute.memoryMiB, requests: {}, limits: {} };
      const min = compute.provisionedConcurrency ?? 1;
      replicas = { minReplicas: min, maxReplicas: Math.max(min, compute.maxConcurrency), initialReplicas: min };
    } else {
      size = podSize(compute, nodeLabel);
      const sc = spec.scaling!;
      replicas = { minReplicas: sc.minInstances, maxReplicas: sc.maxInstances, initialReplicas: sc.initialInstances };
    }
    const cpuMillis = k8s.cpu === undefined ? size.cpuMillis : k8s.cpu.endsWith('m') ? Number(k8s.cpu.slice(0, -1)) : Math.round(Number(k8s.cpu) * 1000);
    const memoryMiB = k8s.memoryMiB ?? size.memoryMiB;
    const devices = size.accelerator ? { [size.accelerator.resourceName]: String(size.accelerator.count) } : {};
    const accelerator = size.accelerator && { ...size.accelerator, sharedMemory: sharedMemory(memoryMiB) };
    return {
      ...replicas, cpuMillis, memoryMiB, accelerator,
      requests: { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi`, ...devices },
      limits: { memory: `${memoryMiB}Mi`, ...devices },
      scratch: accelerator ? [TMP, accelerator.sharedMemory] : [TMP],
    };
  }

  /** How a new version rolls out: maxSurge per step, each new pod baked for waitIntervalSeconds, and the deadlines. */
  private rolloutOf(maxReplicas: number): Rollout {
    const { spec, kubernetes: k8s } = this;
    const d = spec.deployment;
    const surgePercent = d.strategy === 'canary' ? d.canaryPercent! : d.strategy === 'linear' ? d.linearStepPercent! : d.strategy === 'rolling' ? d.rollingBatchPercent! : 100;
    const minReadySeconds = d.waitIntervalSeconds;
    // maxSurge rounds up to whole pods: a step adds at least one pod, so a fleet of n takes at most n steps.
    const steps = Math.min(Math.ceil(100 / surgePercent), maxReplicas);
    return {
      surgePercent, minReadySeconds,
      // Per step: a pod starts (up to the startup timeout), then bakes; the deadline covers one step with margin.
      progressDeadlineSeconds: Math.max(600, k8s.startupTimeoutSeconds + minReadySeconds + 120),
      rolloutMinutes: Math.min(24 * 60, Math.ceil(d.maximumExecutionTimeoutSeconds !== undefined ? d.maximumExecutionTimeoutSeconds / 60 : (steps * (k8s.startupTimeoutSeconds + minReadySeconds)) / 60 + 5)),
    };
  }

  /** The container's environment: the spec's, HOME on the scratch volume, and where the registry and features are. */
  private environment(source: KubernetesModelSource | undefined, featureStore: FeatureStoreAccess | undefined): DeploymentV1SpecTemplateSpecContainerEnv[] {
    const env: DeploymentV1SpecTemplateSpecContainerEnv[] = Object.entries(this.spec.environment).map(([k, v]) => ({ name: k, value: v }));
    if (!('HOME' in this.spec.environment)) env.push({ name: 'HOME', value: '/tmp' });
    if (source) {
      env.push({ name: 'MLFLOW_TRACKING_URI', value: source.registry.server.trackingUri });
      env.push({ name: 'MODEL_URI', value: source.registry.modelUri(source.version) });
    }
    if (featureStore) env.push({ name: 'FEATURE_SERVER_URL', value: featureStore.url });
    return env;
  }

  private renderDeployment(namespace: string, pod: PodInputs): DeploymentV1 {
    const k8s = this.kubernetes;
    const { size, rollout } = pod;
    const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: k8s.healthPath, port: 'http' }, periodSeconds, timeoutSeconds: 5, failureThreshold });
    const served = restrictedPodSpec({
      serviceAccountName: this.serviceAccount.metadata.name,
      uid: 1000,
      scratch: size.scratch,
      container: {
        name: 'model',
        image: k8s.image,
        port: this.containerPorts(),
        env: pod.env,
        resources: { requests: size.requests, limits: size.limits },
        // Startup covers model loading; liveness only starts once it succeeds.
        startupProbe: probe(10, Math.ceil(k8s.startupTimeoutSeconds / 10)),
        readinessProbe: probe(10, 3),
        livenessProbe: probe(20, 3),
      },
      extra: {
        terminationGracePeriodSeconds: 60,
        toleration: size.accelerator?.tolerations,
        nodeSelector: size.accelerator?.nodeSelector,
        topologySpreadConstraint: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: pod.selector }] }],
      },
    });
    const podSpec = this.capture ? { ...served, container: [...(served.container as DeploymentV1SpecTemplateSpecContainer[]), this.loggerSidecar(namespace, pod.name, this.capture)] } : served;
    const scales = size.maxReplicas > size.minReplicas;
    return new DeploymentV1(this, 'Resource', {
      metadata: { name: pod.name, namespace, labels: pod.labels },
      spec: {
        replicas: String(size.initialReplicas),
        selector: { matchLabels: pod.selector },
        minReadySeconds: rollout.minReadySeconds,
        progressDeadlineSeconds: rollout.progressDeadlineSeconds,
        revisionHistoryLimit: 10,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: `${rollout.surgePercent}%` } },
        template: { metadata: { labels: pod.podLabels }, spec: podSpec },
      },
      // Wait on purpose: `terraform apply` fails when the new pods never become ready (a broken
      // image or model), so whoever applied learns it there; maxUnavailable 0 keeps the old pods serving.
      waitForRollout: k8s.waitForRollout,
      timeouts: { create: `${rollout.rolloutMinutes}m`, update: `${rollout.rolloutMinutes}m` },
      // The HPA owns the replica count once it exists: do not reset it on every apply.
      lifecycle: scales ? { ignoreChanges: ['spec[0].replicas'] } : undefined,
    });
  }

  /** HPA v2: CPU utilization, plus per-pod custom metrics when asked; the cooldowns as stabilization windows. */
  private renderAutoscaler(namespace: string, pod: PodInputs, deploymentName: string): HorizontalPodAutoscalerV2 {
    const { spec, kubernetes: k8s } = this;
    const metrics: HorizontalPodAutoscalerV2SpecMetric[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: k8s.targetCpuUtilizationPercent } } }];
    const sc = spec.scaling;
    if (sc && k8s.requestsPerSecondMetric) {
      metrics.push({ type: 'Pods', pods: { metric: { name: k8s.requestsPerSecondMetric }, target: { type: 'AverageValue', averageValue: perSecond(sc.targetInvocationsPerInstance) } } });
    }
    if (sc?.targetGpuUtilizationPercent !== undefined) {
      metrics.push({ type: 'Pods', pods: { metric: { name: k8s.gpuUtilizationMetric }, target: { type: 'AverageValue', averageValue: String(sc.targetGpuUtilizationPercent) } } });
    }
    const behavior = scalingBehavior(spec);
    return new HorizontalPodAutoscalerV2(this, 'Autoscaler', {
      metadata: { name: pod.name, namespace, labels: pod.labels },
      spec: {
        minReplicas: pod.size.minReplicas, maxReplicas: pod.size.maxReplicas,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName },
        metric: metrics,
        behavior: { scaleUp: [behavior.scaleUp], scaleDown: [behavior.scaleDown] },
      },
    });
  }

  /**
   * Ingress to the serving port from the namespace and the listed namespaces, and from Prometheus
   * to the metrics port; egress to the registry and the feature server it uses, none when isolated,
   * else all.
   */
  private renderNetworkPolicy(namespace: string, pod: PodInputs, to: { source?: KubernetesModelSource; featureStore?: FeatureStoreAccess; prometheus: PrometheusAccess; capture?: CaptureTarget }): NetworkPolicyV1 {
    const { spec, kubernetes: k8s } = this;
    const from: NetworkPolicyV1SpecIngressFrom[] = [{ podSelector: {} }];
    for (const ns of k8s.allowFromNamespaces) from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
    // With request logging, clients reach the model through KServe's agent (the Service targets 9081).
    const ingress: NetworkPolicyV1SpecIngress[] = [
      { from, ports: [{ port: String(to.capture ? KSERVE_AGENT_PORT : k8s.port), protocol: 'TCP' }] },
      { from: [prometheusPeer(to.prometheus)], ports: [{ port: String(k8s.metricsPort ?? k8s.port), protocol: 'TCP' }] },
    ];
    let egress: NetworkPolicyV1SpecEgress[] = [];
    if (to.source || to.featureStore || (to.capture && spec.networkIsolation)) {
      if (to.source) egress.push({ to: [{ podSelector: { matchLabels: to.source.registry.server.selector } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] });
      if (to.featureStore) egress.push({ to: [{ podSelector: { matchLabels: to.featureStore.selector } }], ports: [{ port: String(to.featureStore.port), protocol: 'TCP' }] });
      if (to.capture) egress.push({ to: [{ podSelector: { matchLabels: to.capture.selector } }], ports: [{ port: String(to.capture.port), protocol: 'TCP' }] });
    } else if (!spec.networkIsolation) egress = [{}];
    return new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name: pod.name, namespace, labels: pod.labels },
      spec: {
        podSelector: { matchLabels: pod.selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress,
        egress: egress.length > 0 ? egress : undefined,
      },
    });
  }

  /**
   * A KServe InferenceService in RawDeployment mode (KServe 0.17 calls it Standard and converts the
   * annotation; older releases know only RawDeployment): KServe creates the Deployment, Service and
   * HPA from the predictor, with the same pod as serving 'deployment' would run.
   */
  private renderInferenceService(crd: { scope: Construct; namespace: string }, o: PodInputs): Manifest {
    const k8s = this.kubernetes;
    const scratch = apiScratchVolumes(o.size.scratch);
    const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: k8s.healthPath, port: k8s.port }, periodSeconds, timeoutSeconds: 5, failureThreshold });
    const manifest = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: o.name,
        namespace: crd.namespace,
        labels: o.labels,
        annotations: { 'serving.kserve.io/deploymentMode': 'RawDeployment', 'serving.kserve.io/autoscalerClass': 'hpa' },
      },
      spec: {
        predictor: {
          labels: o.podLabels,
          serviceAccountName: o.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          minReplicas: o.size.minReplicas,
          maxReplicas: o.size.maxReplicas,
          scaleMetric: 'cpu',
          scaleTarget: k8s.targetCpuUtilizationPercent,
          // No autoScaling: KServe's HPA reconciler then takes scaleMetric/scaleTarget; with autoScaling it
          // reads only autoScaling.metrics, and it never copies a behavior (the HPA gets an empty one).
          deploymentStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: `${o.rollout.surgePercent}%` } },
          ...this.predictorLogger(),
          securityContext: apiPodSecurityContext(1000),
          terminationGracePeriodSeconds: 60,
          ...(o.size.accelerator ? { tolerations: o.size.accelerator.tolerations } : {}),
          ...(o.size.accelerator?.nodeSelector ? { nodeSelector: o.size.accelerator.nodeSelector } : {}),
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: o.selector } }],
          volumes: scratch.volumes,
          containers: [{
            name: 'kserve-container',
            image: k8s.image,
            ports: this.containerPorts(),
            env: o.env,
            resources: { requests: o.size.requests, limits: o.size.limits },
            startupProbe: probe(10, Math.ceil(k8s.startupTimeoutSeconds / 10)),
            readinessProbe: probe(10, 3),
            livenessProbe: probe(20, 3),
            securityContext: apiContainerSecurityContext(),
            volumeMounts: scratch.volumeMounts,
          }],
        },
      },
    };
    return new Manifest(crd.scope, 'InferenceService', {
      manifest,
      // Wait on purpose, as a Deployment would: apply fails when the predictor never becomes ready.
      wait: k8s.waitForRollout ? { condition: [{ type: 'Ready', status: 'True' }] } : undefined,
      timeouts: { create: '60m', update: '60m', delete: '10m' },
    });
  }
}

/** The logger sidecar's requests (CPU) and limit (memory), counted in the pod's footprint. */
const AGENT_RESOURCES = { cpuMillis: 100, memoryMiB: 512 };
/** What KServe's default agent configuration (inferenceservice-config 'agent') requests and limits: 100m CPU, 1Gi memory. */
const KSERVE_INJECTED_AGENT = { cpuMillis: 100, memoryMiB: 1024 };

/** The HPA behaviour of the spec's cooldowns: scale out by up to 100% a minute, in by one pod a minute. */
function scalingBehavior(spec: EndpointSpec) {
  return {
    scaleUp: { stabilizationWindowSeconds: spec.scaling?.scaleOutCooldownSeconds ?? 60, selectPolicy: 'Max', policy: [{ type: 'Percent', value: 100, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: spec.scaling?.scaleInCooldownSeconds ?? 300, selectPolicy: 'Min', policy: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
  };
}

/** Invocations per minute per instance → a per-second average value (a Kubernetes quantity). */
function perSecond(perMinute: number): string {
  const milli = Math.max(1, Math.round((perMinute * 1000) / 60));
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/**
 * Serving patterns the Kubernetes target does not render. Asynchronous inference: neither a
 * Deployment nor KServe has a request queue with results in object storage (KServe's own docs offer
 * none). Shadow testing: KServe's canary splits traffic, it does not copy it, and mirroring would need
 * a service mesh (an Istio VirtualService `mirror`) this target does not assume.
 */
function unsupportedServingIssues(spec: EndpointSpec): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (spec.async) {
    issues.push({ path: 'async', message: 'is not supported on Kubernetes: neither a Deployment nor KServe queues requests with results in object storage', got: 'an async section', expected: "no async section on a model rendered on Kubernetes (use the 'aws' target)" });
  }
  if (spec.shadow) {
    issues.push({ path: 'shadow', message: 'is not supported on Kubernetes: KServe splits traffic (canary) but does not copy it, and mirroring needs a service mesh this target does not assume', got: 'a shadow section', expected: "no shadow section on a model rendered on Kubernetes (use the 'aws' target)" });
  }
  return issues;
}
