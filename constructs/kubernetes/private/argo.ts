/**
 * What Argo Workflows adds to every step pod, and how the pipeline keeps those pods within Pod
 * Security `restricted` (Argo Workflows 3.7, workflow/controller/workflowpod.go):
 * - an `init` init container (argoexec init) in every pod, and a `wait` container (argoexec wait)
 *   in every container-template pod; both take the controller's `executor.securityContext`, which
 *   is empty unless the installation sets it, so they fail `restricted` (no allowPrivilegeEscalation
 *   false, no dropped capabilities). Resource-template pods get argoexec's minimal context
 *   (common.MinimalCtrSC) when the controller sets none. Each template patches its own executor
 *   containers with `podSpecPatch` (a strategic merge by container name, applied last), so the
 *   patch never adds a container the pod does not have.
 * - with `executor.serviceAccountName`, a volume `exec-sa-token` of the Secret
 *   `<serviceAccount>.service-account-token` (util/secrets TokenName), mounted into init and wait
 *   at /var/run/secrets/kubernetes.io/serviceaccount. Kubernetes ≥ 1.24 creates no such Secret:
 *   it must be created, of type kubernetes.io/service-account-token.
 */

import { Construct } from 'constructs';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';

/** The executor containers' security context: `restricted` without a read-only root (argoexec writes to it, argo-workflows#10787). */
export const EXECUTOR_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** The Secret Argo mounts for the executor's ServiceAccount (secrets.TokenName). */
export function executorTokenSecretName(serviceAccount: string): string {
  return `${serviceAccount}.service-account-token`;
}

/** The template kinds whose pods Argo builds. */
export type PodTemplateKind = 'container' | 'resource';

/** A template's `podSpecPatch`: the restricted context on the executor containers its pod has. */
export function executorPodSpecPatch(kind: PodTemplateKind): string {
  const securityContext = EXECUTOR_SECURITY_CONTEXT;
  return JSON.stringify({
    initContainers: [{ name: 'init', securityContext }],
    ...(kind === 'container' ? { containers: [{ name: 'wait', securityContext }] } : {}),
  });
}

/** Argo refuses a CronWorkflow name longer than this (workflow/validate: maxCharsInCronWorkflowName). */
export const CRON_WORKFLOW_NAME_MAX = 52;

/**
 * An Argo CronWorkflow (argoproj.io/v1alpha1) running `workflowSpec` on `cron` in UTC. A run still
 * going when the next is due is left to finish and the next one is skipped (`Forbid`); a run that
 * could not start on time (the controller was down) may still start up to an hour late; the last
 * three successful and three failed workflows are kept.
 */
export function newCronWorkflow(scope: Construct, id: string, props: { name: string; namespace: string; labels: Record<string, string>; cron: string; workflowSpec: Record<string, unknown> }): Manifest {
  return new Manifest(scope, id, {
    manifest: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
      spec: {
        schedules: [props.cron],
        timezone: 'UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        workflowSpec: props.workflowSpec,
      },
    },
  });
}
