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
 * - AWS-only (not rendered): dataCapture (S3), alarms (CloudWatch), variantName, terminationWaitSeconds.
 */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentV1, DeploymentV1SpecTemplateSpecContainerEnv, DeploymentV1SpecTemplateSpecToleration } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { HorizontalPodAutoscalerV2, HorizontalPodAutoscalerV2SpecMetric } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { NetworkPolicyV1, NetworkPolicyV1SpecEgress, NetworkPolicyV1SpecIngressFrom } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { kubernetesAcceleratorFor } from '../../lib/catalog';
import { MlopsValidationError, renderValue, ValidationIssue } from '../../lib/errors';
import { DNS_LABEL, EndpointKubernetesSpec, endpointKubernetesSchema, EndpointSpec, endpointSpecSchema, EndpointSpecInput } from '../../lib/spec';
import { MLFLOW_PORT } from './mlflow-server';
import type { ModelRegistry } from './model-registry';
import { apiContainerSecurityContext, apiPodSecurityContext, apiScratchVolumes, NETWORK_ISOLATION_LABEL, newServiceAccount, restrictedPodSpec, ScratchVolume, selectorLabels, TMP, workloadLabels } from './private/pod';
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

interface InferenceServiceInputs {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly podLabels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly k8s: EndpointKubernetesSpec;
  readonly env: DeploymentV1SpecTemplateSpecContainerEnv[];
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
  readonly tolerations: DeploymentV1SpecTemplateSpecToleration[];
  readonly nodeSelector?: Record<string, string>;
  readonly scratch: readonly ScratchVolume[];
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly surgePercent: number;
  readonly containerPort: { name: string; containerPort: number; protocol: string };
  readonly probe: (periodSeconds: number, failureThreshold: number) => Record<string, unknown>;
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

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const { namespace, name, partOf, source, crdScope, ...specInput } = props;
    const spec = parseProps('ModelEndpoint', scope, id, endpointSpecSchema, specInput);
    const subject = subjectOf('ModelEndpoint', scope, id);
    const k8s = parseProps('ModelEndpoint', scope, id, endpointKubernetesSchema, specInput.kubernetes ?? {});
    this.spec = spec;
    this.kubernetes = k8s;

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
    if (spec.compute.kind === 'instance' && spec.compute.info === undefined) {
      issues.push({ path: 'compute.instanceType', message: 'must be known at synth time on Kubernetes (it sizes the pod)', got: 'an unresolved token', expected: 'a literal instance type or an accelerator intent' });
    }
    if (spec.scaling?.targetGpuUtilizationPercent !== undefined && spec.compute.kind === 'instance' && spec.compute.info?.accelerator?.type.startsWith('nvidia-') !== true) {
      issues.push({ path: 'scaling.targetGpuUtilizationPercent', message: 'needs an NVIDIA GPU', got: String(spec.scaling.targetGpuUtilizationPercent), expected: 'an NVIDIA accelerator' });
    }
    if (issues.length > 0) throw new MlopsValidationError(subject, issues);
    const awsOnly: [string, unknown, string][] = [
      ['dataCapture', specInput.dataCapture, 'captured to S3 by SageMaker'],
      ['alarms', specInput.alarms, 'CloudWatch alarms'],
      ['variantName', specInput.variantName, 'a SageMaker production variant'],
      ['terminationWaitSeconds', specInput.deployment?.terminationWaitSeconds, 'how long SageMaker keeps the blue fleet'],
    ];
    for (const [field, value, what] of awsOnly) {
      if (value !== undefined) Annotations.of(this).addWarning(`[cdk-mlops:k8s-aws-only-${field}] ${field} is AWS-only (${what}); it is not rendered on Kubernetes.`);
    }

    // --- Sizing -----------------------------------------------------------------------------
    const compute = spec.compute;
    let cpuMillis: number;
    let memoryMiB: number;
    let minReplicas: number;
    let maxReplicas: number;
    let initialReplicas: number;
    const accelerator = compute.kind === 'instance' ? compute.info?.accelerator : undefined;
    if (compute.kind === 'serverless') {
      cpuMillis = 1000;
      memoryMiB = compute.memoryMiB;
      minReplicas = compute.provisionedConcurrency ?? 1;
      maxReplicas = Math.max(minReplicas, compute.maxConcurrency);
      initialReplicas = minReplicas;
    } else {
      const info = compute.info!;
      cpuMillis = Math.max(250, Math.floor(info.vCpus * 750));
      memoryMiB = Math.floor(info.memoryGiB * 1024 * 0.75);
      const sc = spec.scaling!;
      minReplicas = sc.minInstances;
      maxReplicas = sc.maxInstances;
      initialReplicas = sc.initialInstances;
    }
    if (k8s.cpu !== undefined) cpuMillis = k8s.cpu.endsWith('m') ? Number(k8s.cpu.slice(0, -1)) : Math.round(Number(k8s.cpu) * 1000);
    if (k8s.memoryMiB !== undefined) memoryMiB = k8s.memoryMiB;

    const requests: Record<string, string> = { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` };
    const limits: Record<string, string> = { memory: `${memoryMiB}Mi` };
    let tolerations: DeploymentV1SpecTemplateSpecToleration[] = [];
    let nodeSelector: Record<string, string> | undefined;
    const scratch: ScratchVolume[] = [TMP];
    if (accelerator) {
      const k = kubernetesAcceleratorFor(accelerator.type);
      // Extended resources are requested in limits (requests default to them and may not differ).
      limits[k.resourceName] = String(accelerator.count);
      requests[k.resourceName] = String(accelerator.count);
      tolerations = [{ key: k.resourceName, operator: 'Exists', effect: 'NoSchedule' }];
      nodeSelector = k.nodeSelector;
      // NCCL and PyTorch data loaders need more shared memory than the container runtime's 64 MiB.
      scratch.push({ name: 'dshm', path: '/dev/shm', medium: 'Memory', sizeLimit: `${Math.min(16384, Math.floor(memoryMiB / 4))}Mi` });
    }
    const gpus = accelerator && limits['nvidia.com/gpu'] ? accelerator.count : 0;
    const neuron = accelerator && limits['aws.amazon.com/neuron'] ? accelerator.count : 0;

    // --- Rollout ----------------------------------------------------------------------------
    const d = spec.deployment;
    const surgePercent = d.strategy === 'canary' ? d.canaryPercent! : d.strategy === 'linear' ? d.linearStepPercent! : d.strategy === 'rolling' ? d.rollingBatchPercent! : 100;
    const minReadySeconds = d.waitIntervalSeconds;
    // Per step: a pod starts (up to the startup timeout), then bakes; the deadline covers one step with margin.
    const progressDeadlineSeconds = Math.max(600, k8s.startupTimeoutSeconds + minReadySeconds + 120);
    // maxSurge rounds up to whole pods: a step adds at least one pod, so a fleet of n takes at most n steps.
    const steps = Math.min(Math.ceil(100 / surgePercent), maxReplicas);
    const rolloutMinutes = Math.min(24 * 60, Math.ceil(d.maximumExecutionTimeoutSeconds !== undefined ? d.maximumExecutionTimeoutSeconds / 60 : (steps * (k8s.startupTimeoutSeconds + minReadySeconds)) / 60 + 5));

    // --- Pod --------------------------------------------------------------------------------
    const selector = selectorLabels(name, COMPONENT);
    const labels = workloadLabels(name, COMPONENT, partOf);
    const isolated = spec.networkIsolation && source === undefined;
    const podLabels: Record<string, string> = { ...labels, ...(isolated ? { [NETWORK_ISOLATION_LABEL]: 'true' } : {}), ...(source ? source.registry.server.clientLabels : {}) };
    const env: DeploymentV1SpecTemplateSpecContainerEnv[] = Object.entries(spec.environment).map(([k, v]) => ({ name: k, value: v }));
    if (!('HOME' in spec.environment)) env.push({ name: 'HOME', value: '/tmp' });
    if (source) {
      env.push({ name: 'MLFLOW_TRACKING_URI', value: source.registry.server.trackingUri });
      env.push({ name: 'MODEL_URI', value: source.registry.modelUri(source.version) });
    }
    const probe = (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: k8s.healthPath, port: 'http' }, periodSeconds, timeoutSeconds: 5, failureThreshold });

    this.serviceAccount = newServiceAccount(this, namespace, name, labels);
    const scales = maxReplicas > minReplicas;
    const containerPort = { name: 'http', containerPort: k8s.port, protocol: 'TCP' };
    if (k8s.serving === 'kserve') {
      if (!crdScope) {
        throw new MlopsValidationError(subject, [{ path: 'kubernetes.serving', message: "'kserve' needs a scope for CRD objects", got: "'kserve' and no crdScope", expected: "a crdScope (the platform's CRD stack), or serving 'deployment'" }]);
      }
      this.inferenceService = this.renderInferenceService(crdScope, {
        name, labels, podLabels, selector, k8s, env, requests, limits, tolerations, nodeSelector, scratch, minReplicas, maxReplicas, surgePercent, containerPort,
        probe: (periodSeconds: number, failureThreshold: number) => ({ httpGet: { path: k8s.healthPath, port: k8s.port }, periodSeconds, timeoutSeconds: 5, failureThreshold }),
      });
      // KServe's Standard mode serves the predictor behind '<name>-predictor' on port 80.
      this.url = `http://${name}-predictor`;
    } else {
      const podSpec = restrictedPodSpec({
        serviceAccountName: this.serviceAccount.metadata.name,
        uid: 1000,
        scratch,
        container: {
          name: 'model',
          image: k8s.image,
          port: [containerPort],
          env,
          resources: { requests, limits },
          // Startup covers model loading; liveness only starts once it succeeds.
          startupProbe: probe(10, Math.ceil(k8s.startupTimeoutSeconds / 10)),
          readinessProbe: probe(10, 3),
          livenessProbe: probe(20, 3),
        },
        extra: {
          terminationGracePeriodSeconds: 60,
          toleration: tolerations.length > 0 ? tolerations : undefined,
          nodeSelector,
          topologySpreadConstraint: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: selector }] }],
        },
      });

      this.resource = new DeploymentV1(this, 'Resource', {
        metadata: { name, namespace, labels },
        spec: {
          replicas: String(initialReplicas),
          selector: { matchLabels: selector },
          minReadySeconds,
          progressDeadlineSeconds,
          revisionHistoryLimit: 10,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '0', maxSurge: `${surgePercent}%` } },
          template: { metadata: { labels: podLabels }, spec: podSpec },
        },
        // Wait on purpose: `terraform apply` fails when the new pods never become ready (a broken
        // image or model), so whoever applied learns it there; maxUnavailable 0 keeps the old pods serving.
        waitForRollout: k8s.waitForRollout,
        timeouts: { create: `${rolloutMinutes}m`, update: `${rolloutMinutes}m` },
        // The HPA owns the replica count once it exists: do not reset it on every apply.
        lifecycle: scales ? { ignoreChanges: ['spec[0].replicas'] } : undefined,
      });
      const deploymentName = this.resource.metadata.name;

      this.service = new ServiceV1(this, 'Service', {
        metadata: { name, namespace, labels },
        spec: { type: 'ClusterIP', selector, port: [{ name: 'http', port: k8s.port, targetPort: 'http', protocol: 'TCP' }] },
      });
      this.url = `http://${name}:${k8s.port}`;

      if (scales) {
        const metrics: HorizontalPodAutoscalerV2SpecMetric[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: k8s.targetCpuUtilizationPercent } } }];
        const sc = spec.scaling;
        if (sc && k8s.requestsPerSecondMetric) {
          metrics.push({ type: 'Pods', pods: { metric: { name: k8s.requestsPerSecondMetric }, target: { type: 'AverageValue', averageValue: perSecond(sc.targetInvocationsPerInstance) } } });
        }
        if (sc?.targetGpuUtilizationPercent !== undefined) {
          metrics.push({ type: 'Pods', pods: { metric: { name: k8s.gpuUtilizationMetric }, target: { type: 'AverageValue', averageValue: String(sc.targetGpuUtilizationPercent) } } });
        }
        const scaleIn = sc?.scaleInCooldownSeconds ?? 300;
        const scaleOut = sc?.scaleOutCooldownSeconds ?? 60;
        this.autoscaler = new HorizontalPodAutoscalerV2(this, 'Autoscaler', {
          metadata: { name, namespace, labels },
          spec: {
            minReplicas, maxReplicas,
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName },
            metric: metrics,
            behavior: {
              scaleUp: [{ stabilizationWindowSeconds: scaleOut, selectPolicy: 'Max', policy: [{ type: 'Percent', value: 100, periodSeconds: 60 }] }],
              scaleDown: [{ stabilizationWindowSeconds: scaleIn, selectPolicy: 'Min', policy: [{ type: 'Pods', value: 1, periodSeconds: 60 }] }],
            },
          },
        });
      }

    }

    // One pod at a time may be evicted by a node drain; with a single replica that is a short outage, never a stuck drain.
    this.disruptionBudget = new PodDisruptionBudgetV1(this, 'DisruptionBudget', {
      metadata: { name, namespace, labels },
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
    });

    const from: NetworkPolicyV1SpecIngressFrom[] = [{ podSelector: {} }];
    for (const ns of k8s.allowFromNamespaces) from.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } });
    let egress: NetworkPolicyV1SpecEgress[] = [];
    if (source) egress = [{ to: [{ podSelector: { matchLabels: source.registry.server.selector } }], ports: [{ port: String(MLFLOW_PORT), protocol: 'TCP' }] }];
    else if (!spec.networkIsolation) egress = [{}];
    this.networkPolicy = new NetworkPolicyV1(this, 'NetworkPolicy', {
      metadata: { name, namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from, ports: [{ port: String(k8s.port), protocol: 'TCP' }] }],
        egress: egress.length > 0 ? egress : undefined,
      },
    });

    this.footprint = {
      maxPods: maxReplicas + Math.ceil((maxReplicas * surgePercent) / 100),
      cpuMillis, memoryMiB, gpus, neuronDevices: neuron,
    };
  }

  /**
   * A KServe InferenceService in RawDeployment mode (KServe 0.17 calls it Standard and converts the
   * annotation; older releases know only RawDeployment): KServe creates the Deployment, Service and
   * HPA from the predictor, with the same pod as serving 'deployment' would run.
   */
  private renderInferenceService(crd: { scope: Construct; namespace: string }, o: InferenceServiceInputs): Manifest {
    const scratch = apiScratchVolumes(o.scratch);
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
          minReplicas: o.minReplicas,
          maxReplicas: o.maxReplicas,
          scaleMetric: 'cpu',
          scaleTarget: o.k8s.targetCpuUtilizationPercent,
          deploymentStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: `${o.surgePercent}%` } },
          securityContext: apiPodSecurityContext(1000),
          terminationGracePeriodSeconds: 60,
          ...(o.tolerations.length > 0 ? { tolerations: o.tolerations } : {}),
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: o.selector } }],
          volumes: scratch.volumes,
          containers: [{
            name: 'kserve-container',
            image: o.k8s.image,
            ports: [o.containerPort],
            env: o.env,
            resources: { requests: o.requests, limits: o.limits },
            startupProbe: o.probe(10, Math.ceil(o.k8s.startupTimeoutSeconds / 10)),
            readinessProbe: o.probe(10, 3),
            livenessProbe: o.probe(20, 3),
            securityContext: apiContainerSecurityContext(),
            volumeMounts: scratch.volumeMounts,
          }],
        },
      },
    };
    return new Manifest(crd.scope, 'InferenceService', {
      manifest,
      // Wait on purpose, as a Deployment would: apply fails when the predictor never becomes ready.
      wait: o.k8s.waitForRollout ? { condition: [{ type: 'Ready', status: 'True' }] } : undefined,
      timeouts: { create: '60m', update: '60m', delete: '10m' },
    });
  }
}

/** Invocations per minute per instance → a per-second average value (a Kubernetes quantity). */
function perSecond(perMinute: number): string {
  const milli = Math.max(1, Math.round((perMinute * 1000) / 60));
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
