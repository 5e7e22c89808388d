/**
 * The pieces every Kubernetes workload of cdk-mlops shares: recommended labels, the Pod Security
 * `restricted` security contexts, scratch volumes for a read-only root filesystem, and a
 * ServiceAccount per workload.
 */
import { Construct } from 'constructs';
import { AcceleratorNodeLabel, InstanceTypeInfo, kubernetesAcceleratorFor } from '../../../lib/catalog';
import type { ResolvedCompute } from '../../../lib/spec';
import type { DeploymentV1SpecTemplateSpec, DeploymentV1SpecTemplateSpecContainer, DeploymentV1SpecTemplateSpecContainerSecurityContext, DeploymentV1SpecTemplateSpecSecurityContext, DeploymentV1SpecTemplateSpecVolume } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';

export const MANAGED_BY = 'cdk-mlops';
/** Pods with this label set to 'true' get no egress at all, not even DNS (an endpoint's networkIsolation), unless they carry PEER_DNS_LABEL. */
export const NETWORK_ISOLATION_LABEL = 'mlops.cdk.io/network-isolation';
/**
 * Network-isolated pods that find their peers by name (distributed training's rendezvous host, a
 * JobSet headless Service name) with this label set to 'true' may still ask the cluster DNS.
 */
export const PEER_DNS_LABEL = 'mlops.cdk.io/resolves-peers';

/** The Kubernetes recommended labels (app.kubernetes.io/*) of one workload. */
export function workloadLabels(name: string, component: string, partOf: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': partOf,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** The labels that select one workload's pods (stable: changing a Deployment's selector replaces it). */
export function selectorLabels(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component };
}

/**
 * Pod-level security context that meets Pod Security `restricted`: non-root with a numeric user
 * (the kubelet can only check runAsNonRoot against a numeric id), RuntimeDefault seccomp, and an
 * fsGroup so mounted volumes are writable by that user.
 */
export function restrictedPodSecurityContext(uid: number): DeploymentV1SpecTemplateSpecSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: String(uid),
    runAsGroup: String(uid),
    fsGroup: String(uid),
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security context that meets Pod Security `restricted`, with a read-only root filesystem. */
export function restrictedContainerSecurityContext(): DeploymentV1SpecTemplateSpecContainerSecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A writable scratch directory on a read-only root filesystem: an emptyDir mounted at `path`. */
export interface ScratchVolume {
  readonly name: string;
  readonly path: string;
  /** 'Memory' for a tmpfs (e.g. /dev/shm). @default - node disk */
  readonly medium?: 'Memory';
  readonly sizeLimit: string;
}

export function scratchVolumes(volumes: readonly ScratchVolume[]): { volume: DeploymentV1SpecTemplateSpecVolume[]; volumeMount: { name: string; mountPath: string }[] } {
  return {
    volume: volumes.map((v) => ({ name: v.name, emptyDir: { medium: v.medium, sizeLimit: v.sizeLimit } })),
    volumeMount: volumes.map((v) => ({ name: v.name, mountPath: v.path })),
  };
}

export const TMP: ScratchVolume = { name: 'tmp', path: '/tmp', sizeLimit: '1Gi' };

// --- Sizing ----------------------------------------------------------------------------------

/** What one pod requests, with its accelerators and how they are scheduled. */
export interface PodSize {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  /** Resource requests (cpu, memory, and the accelerator's extended resource). */
  readonly requests: Record<string, string>;
  /** Resource limits (memory = request; the extended resource = request, as Kubernetes requires). */
  readonly limits: Record<string, string>;
  readonly accelerator?: {
    /** 'nvidia.com/gpu' or 'aws.amazon.com/neuron'. */
    readonly resourceName: string;
    readonly count: number;
    /** undefined when the cluster's labelling is 'none'. */
    readonly nodeSelector?: Record<string, string>;
    /** Tolerates the device taint (`<resourceName>:NoSchedule`) GPU and Neuron node groups carry. */
    readonly tolerations: { key: string; operator: string; effect: string }[];
    /** A memory-backed /dev/shm (see {@link sharedMemory}). */
    readonly sharedMemory: ScratchVolume;
  };
}

/** A resolved instance compute (not serverless). */
export type InstanceCompute = Extract<ResolvedCompute, { kind: 'instance' }>;

/** Share of a node's CPU and memory a pod requests: the rest is left to the kubelet, system daemons and DaemonSets. */
const NODE_SHARE = 0.75;
/** The most /dev/shm a pod gets (see {@link sharedMemory}). */
const MAX_SHARED_MEMORY_MIB = 65536;

/**
 * A memory-backed /dev/shm for accelerator pods: the container runtime gives 64 MiB, and NCCL's
 * shared-memory transport, PyTorch DataLoader workers and multi-GPU servers (TGI, vLLM) need far
 * more. A quarter of the pod's memory, at most 64 GiB: tmpfs pages count against the memory limit,
 * so the quarter is the real bound, and the cap only bites on pods of more than 256 GiB, the
 * many-GPU pods that need shared memory most (a 16 GiB cap starved 8-GPU training).
 */
export function sharedMemory(memoryMiB: number): ScratchVolume {
  return { name: 'dshm', path: '/dev/shm', medium: 'Memory', sizeLimit: `${Math.min(MAX_SHARED_MEMORY_MIB, Math.floor(memoryMiB / 4))}Mi` };
}

/**
 * The size of one pod for a compute spec. An explicit instance type gets 3/4 of the instance (room
 * for the kubelet and daemons on a node of that size). An accelerator intent gets the accelerators
 * it asked for, not the whole instance they resolved to: `{ count: 2 }` on an 8-GPU type requests
 * 2 GPUs and 2/8 of the type's 3/4 CPU and memory, so four such pods share the node. vCpus and
 * memoryGiB of an intent are requested as asked (at least the accelerator share, at most the 3/4).
 */
export function podSize(compute: InstanceTypeInfo | InstanceCompute, nodeLabel: AcceleratorNodeLabel = 'nvidia-gfd'): PodSize {
  const info = 'kind' in compute ? compute.info! : compute;
  const requested = 'kind' in compute ? compute.requested : undefined;
  const count = Math.min(requested?.acceleratorCount ?? info.accelerator?.count ?? 0, info.accelerator?.count ?? 0);
  const share = info.accelerator ? count / info.accelerator.count : 1;
  const wholeCpu = Math.floor(info.vCpus * 1000 * NODE_SHARE);
  const wholeMemory = Math.floor(info.memoryGiB * 1024 * NODE_SHARE);
  const asked = (value: number | undefined, proportional: number, whole: number) => Math.min(whole, Math.max(proportional, value ?? 0));
  const cpuMillis = Math.max(250, asked(requested?.vCpus !== undefined ? requested.vCpus * 1000 : undefined, Math.floor(wholeCpu * share), wholeCpu));
  const memoryMiB = asked(requested?.memoryGiB !== undefined ? Math.ceil(requested.memoryGiB * 1024) : undefined, Math.floor(wholeMemory * share), wholeMemory);
  const requests: Record<string, string> = { cpu: `${cpuMillis}m`, memory: `${memoryMiB}Mi` };
  const limits: Record<string, string> = { memory: `${memoryMiB}Mi` };
  if (!info.accelerator) return { cpuMillis, memoryMiB, requests, limits };
  const k = kubernetesAcceleratorFor(info.accelerator.type, nodeLabel);
  // Extended resources are requested in limits; a request, when given, must equal the limit.
  requests[k.resourceName] = String(count);
  limits[k.resourceName] = String(count);
  return {
    cpuMillis, memoryMiB, requests, limits,
    accelerator: {
      resourceName: k.resourceName, count, nodeSelector: k.nodeSelector,
      tolerations: [{ key: k.resourceName, operator: 'Exists', effect: 'NoSchedule' }],
      sharedMemory: sharedMemory(memoryMiB),
    },
  };
}

export interface WorkloadPodOptions {
  readonly serviceAccountName: string;
  readonly uid: number;
  readonly container: DeploymentV1SpecTemplateSpecContainer;
  readonly scratch: readonly ScratchVolume[];
  /** Further volumes (claims, secrets). */
  readonly volumes?: DeploymentV1SpecTemplateSpecVolume[];
  readonly extra?: Partial<DeploymentV1SpecTemplateSpec>;
}

/**
 * A pod spec with the workload's own ServiceAccount (token not mounted: no cdk-mlops workload talks
 * to the Kubernetes API), the restricted security contexts and the scratch volumes mounted.
 */
export function restrictedPodSpec(o: WorkloadPodOptions): DeploymentV1SpecTemplateSpec {
  const scratch = scratchVolumes(o.scratch);
  const mounts = [...scratch.volumeMount, ...((o.container.volumeMount ?? []) as { name: string; mountPath: string }[])];
  return {
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: restrictedPodSecurityContext(o.uid),
    container: [{ ...o.container, securityContext: restrictedContainerSecurityContext(), volumeMount: mounts }],
    volume: [...scratch.volume, ...(o.volumes ?? [])],
    ...o.extra,
  };
}

/** The platform's Prometheus as a NetworkPolicy peer: its pods, in its namespace. */
export function prometheusPeer(p: { readonly namespace: string; readonly podLabels: Record<string, string> }): { namespaceSelector: { matchLabels: Record<string, string> }; podSelector: { matchLabels: Record<string, string> } } {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } }, podSelector: { matchLabels: { ...p.podLabels } } };
}

/** A ServiceAccount for one workload, its token not mounted by default. */
export function newServiceAccount(scope: Construct, namespace: string, name: string, labels: Record<string, string>): ServiceAccountV1 {
  return new ServiceAccountV1(scope, 'ServiceAccount', {
    metadata: { name, namespace, labels },
    automountServiceAccountToken: false,
  });
}

/** {@link restrictedPodSecurityContext} in Kubernetes API form (for kubernetes_manifest objects). */
export function apiPodSecurityContext(uid: number): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } };
}

/** {@link restrictedContainerSecurityContext} in Kubernetes API form. */
export function apiContainerSecurityContext(): Record<string, unknown> {
  return { runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Scratch volumes and their mounts in Kubernetes API form. */
export function apiScratchVolumes(volumes: readonly ScratchVolume[]): { volumes: Record<string, unknown>[]; volumeMounts: Record<string, unknown>[] } {
  return {
    volumes: volumes.map((v) => ({ name: v.name, emptyDir: v.medium ? { medium: v.medium, sizeLimit: v.sizeLimit } : { sizeLimit: v.sizeLimit } })),
    volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: v.path })),
  };
}
