/**
 * The pieces every Kubernetes workload of cdk-mlops shares: recommended labels, the Pod Security
 * `restricted` security contexts, scratch volumes for a read-only root filesystem, and a
 * ServiceAccount per workload.
 */
import { Construct } from 'constructs';
import type { DeploymentV1SpecTemplateSpec, DeploymentV1SpecTemplateSpecContainer, DeploymentV1SpecTemplateSpecContainerSecurityContext, DeploymentV1SpecTemplateSpecSecurityContext, DeploymentV1SpecTemplateSpecVolume } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';

export const MANAGED_BY = 'cdk-mlops';
/** Pods with this label set to 'true' get no egress at all, not even DNS (an endpoint's networkIsolation). */
export const NETWORK_ISOLATION_LABEL = 'mlops.cdk.io/network-isolation';

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
