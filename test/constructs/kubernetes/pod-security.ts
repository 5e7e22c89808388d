/**
 * Pod Security Standards, `restricted` profile (Kubernetes "latest", which includes every `baseline`
 * control): the checks of k8s.io/pod-security-admission/policy, written from the standard
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/). `violations(pod)` returns
 * one line per failed control, naming the container; an empty list is what admission allows.
 *
 * And the pods that will run from what cdk-mlops renders: from typed workloads, InferenceServices,
 * TrainJobs (through their ClusterTrainingRuntime's template and runtimePatches, as Kubeflow Trainer
 * builds them) and Argo Workflows templates (as the workflow controller builds them, its own `init`
 * and `wait` containers included: workflow/controller/workflowpod.go of Argo Workflows 3.7).
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';

type Json = Record<string, unknown>;
export interface Pod { readonly name: string; readonly metadata?: { annotations?: Record<string, string> }; readonly spec: Json }

const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const SAFE_SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
const VOLUME_NAME_KEYS = new Set(['name']);

const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined');

/** Every control of `restricted` the pod fails. */
export function violations(pod: Pod): string[] {
  const out: string[] = [];
  const spec = pod.spec;
  const psc = obj(spec.securityContext) ?? {};
  const containers = [...list(spec.initContainers).map((c) => ['init container', c] as const), ...list(spec.containers).map((c) => ['container', c] as const), ...list(spec.ephemeralContainers).map((c) => ['ephemeral container', c] as const)];
  const fail = (what: string) => out.push(`${pod.name}: ${what}`);
  if (containers.length === 0) fail('has no containers');

  // --- baseline ---
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[ns] === true) fail(`${ns} is true`);
  if (obj(psc.windowsOptions)?.hostProcess === true) fail('pod windowsOptions.hostProcess is true');
  for (const v of list(spec.volumes)) {
    if (v.hostPath !== undefined) fail(`volume ${str(v.name)} is a hostPath`);
    const types = Object.keys(v).filter((k) => !VOLUME_NAME_KEYS.has(k));
    if (types.length !== 1 || !RESTRICTED_VOLUMES.includes(types[0])) fail(`volume ${str(v.name)} has type ${types.join('+') || 'none'}, not one of ${RESTRICTED_VOLUMES.join(', ')}`);
  }
  for (const s of list(psc.sysctls)) if (!SAFE_SYSCTLS.includes(str(s.name))) fail(`sysctl ${str(s.name)} is not a safe sysctl`);
  const checkSeLinux = (where: string, se: Json | undefined) => {
    if (!se) return;
    if (se.type !== undefined && !SELINUX_TYPES.includes(str(se.type))) fail(`${where} seLinuxOptions.type ${str(se.type)}`);
    if (se.user !== undefined || se.role !== undefined) fail(`${where} sets seLinuxOptions user or role`);
  };
  checkSeLinux('pod', obj(psc.seLinuxOptions));
  const appArmor = (where: string, p: Json | undefined) => {
    if (p && !['RuntimeDefault', 'Localhost'].includes(str(p.type))) fail(`${where} appArmorProfile ${str(p.type)}`);
  };
  appArmor('pod', obj(psc.appArmorProfile));
  for (const [k, v] of Object.entries(pod.metadata?.annotations ?? {})) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && v !== 'runtime/default' && !v.startsWith('localhost/')) fail(`annotation ${k}=${v}`);
  }

  // --- restricted, pod level ---
  const podSeccomp = obj(psc.seccompProfile)?.type;
  if (podSeccomp !== undefined && !['RuntimeDefault', 'Localhost'].includes(str(podSeccomp))) fail(`pod seccompProfile ${str(podSeccomp)}`);
  if (psc.runAsUser === 0) fail('pod runAsUser is 0');

  for (const [kind, c] of containers) {
    const where = `${kind} ${str(c.name)}`;
    const sc = obj(c.securityContext) ?? {};
    if (sc.privileged === true) fail(`${where} is privileged`);
    if (obj(sc.windowsOptions)?.hostProcess === true) fail(`${where} windowsOptions.hostProcess is true`);
    for (const p of list(c.ports)) if (p.hostPort !== undefined && p.hostPort !== 0) fail(`${where} uses hostPort ${str(p.hostPort)}`);
    checkSeLinux(where, obj(sc.seLinuxOptions));
    appArmor(where, obj(sc.appArmorProfile));
    if (sc.procMount !== undefined && sc.procMount !== 'Default') fail(`${where} procMount ${str(sc.procMount)}`);
    const caps = obj(sc.capabilities) ?? {};
    const add = list(caps.add).map(String);
    for (const a of add) {
      if (!BASELINE_CAPABILITIES.includes(a)) fail(`${where} adds capability ${a} (baseline)`);
      else if (a !== 'NET_BIND_SERVICE') fail(`${where} adds capability ${a} (restricted allows NET_BIND_SERVICE only)`);
    }
    if (!list(caps.drop).map(String).includes('ALL')) fail(`${where} does not drop ALL capabilities`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${where} does not set allowPrivilegeEscalation false`);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (sc.runAsNonRoot === false || nonRoot !== true) fail(`${where} does not run as non-root (runAsNonRoot true on the pod or the container)`);
    if (sc.runAsUser === 0) fail(`${where} runAsUser is 0`);
    const seccomp = obj(sc.seccompProfile)?.type ?? podSeccomp;
    if (!['RuntimeDefault', 'Localhost'].includes(str(seccomp))) fail(`${where} has seccompProfile ${str(seccomp)}, not RuntimeDefault or Localhost`);
  }
  return out;
}

// --- Strategic merge (what podSpecPatch and runtimePatches do to a pod spec) ----------------------
const MERGE_KEYS: Record<string, string> = { containers: 'name', initContainers: 'name', volumes: 'name', env: 'name', volumeMounts: 'mountPath', replicatedJobs: 'name' };

/** A strategic merge patch of `base` by `patch`: maps merged, lists with a merge key merged by it, other lists replaced. */
export function strategicMerge(base: unknown, patch: unknown, key?: string): unknown {
  if (Array.isArray(patch)) {
    const mergeKey = key ? MERGE_KEYS[key] : undefined;
    if (!mergeKey || !Array.isArray(base)) return patch;
    const out = [...(base as Json[])];
    for (const p of patch as Json[]) {
      const i = out.findIndex((b) => b[mergeKey] === p[mergeKey]);
      if (i >= 0) out[i] = strategicMerge(out[i], p) as Json;
      else out.push(p);
    }
    return out;
  }
  const p = obj(patch);
  if (!p) return patch;
  const b = obj(base) ?? {};
  const out: Json = { ...b };
  for (const [k, v] of Object.entries(p)) out[k] = strategicMerge(b[k], v, k);
  return out;
}

// --- Argo Workflows 3.7: the pods of a WorkflowTemplate's templates ------------------------------
/** common.MinimalCtrSC: what Argo gives a resource template's executor containers when the controller sets no securityContext. */
const MINIMAL_CTR_SC = { capabilities: { drop: ['ALL'] }, privileged: false, runAsNonRoot: true, runAsUser: 8737, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } };

export interface ArgoController {
  /** The controller's `executor.securityContext` (workflow-controller-configmap). @default - none, as Argo installs it */
  readonly executorSecurityContext?: Json;
}

/** The pods Argo creates for a WorkflowTemplate (or Workflow) spec: one per container or resource template. */
export function argoPods(workflow: { metadata: { name?: unknown }; spec: Json }, controller: ArgoController = {}): Pod[] {
  const wf = workflow.spec;
  const executorSa = obj(wf.executor)?.serviceAccountName as string | undefined;
  const claims = list(wf.volumeClaimTemplates).map((c) => ({ name: str(obj(c.metadata)?.name), persistentVolumeClaim: { claimName: `wf-${str(obj(c.metadata)?.name)}` } }));
  const pods: Pod[] = [];
  for (const tmpl of list(wf.templates)) {
    const kind = tmpl.container ? 'container' : tmpl.resource ? 'resource' : tmpl.script ? 'script' : undefined;
    if (kind === 'script') throw new Error(`${str(tmpl.name)}: script templates are not modelled`);
    if (!kind) continue;
    const exec = (name: string) => {
      let sc = controller.executorSecurityContext;
      if (kind === 'resource' && sc === undefined) sc = { ...MINIMAL_CTR_SC, ...(name === 'main' ? {} : { readOnlyRootFilesystem: undefined }) };
      return { name, image: 'quay.io/argoproj/argoexec:v3.7.18', ...(sc ? { securityContext: sc } : {}), volumeMounts: executorSa ? [{ name: 'exec-sa-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }] : [] };
    };
    const volumes: Json[] = [
      { name: 'var-run-argo', emptyDir: {} }, { name: 'tmp-dir-argo', emptyDir: {} }, ...list(tmpl.volumes),
      ...(executorSa ? [{ name: 'exec-sa-token', secret: { secretName: `${executorSa}.service-account-token` } }] : []),
      ...(list(obj(tmpl.inputs)?.artifacts).length > 0 ? [{ name: 'input-artifacts', emptyDir: {} }] : []),
      ...claims,
    ];
    const main = kind === 'container' ? { ...(tmpl.container as Json), name: 'main' } : exec('main');
    let spec: Json = {
      restartPolicy: 'Never',
      serviceAccountName: tmpl.serviceAccountName ?? wf.serviceAccountName,
      ...((tmpl.automountServiceAccountToken ?? wf.automountServiceAccountToken) === false ? { automountServiceAccountToken: false } : {}),
      ...(wf.hostNetwork !== undefined ? { hostNetwork: wf.hostNetwork } : {}),
      securityContext: tmpl.securityContext ?? wf.securityContext,
      volumes,
      initContainers: [exec('init')],
      containers: kind === 'container' ? [exec('wait'), main] : [main],
      ...(tmpl.nodeSelector ? { nodeSelector: tmpl.nodeSelector } : {}),
      ...(tmpl.tolerations ? { tolerations: tmpl.tolerations } : {}),
    };
    for (const patch of [wf.podSpecPatch, tmpl.podSpecPatch]) if (typeof patch === 'string') spec = strategicMerge(spec, YAML.parse(patch)) as Json;
    pods.push({ name: `Argo ${str(workflow.metadata.name)}/${str(tmpl.name)}`, metadata: { annotations: { ...(obj(obj(wf.podMetadata)?.annotations) as Record<string, string> | undefined), ...(obj(obj(tmpl.metadata)?.annotations) as Record<string, string> | undefined) } }, spec });
  }
  return pods;
}

// --- Kubeflow Trainer 2.3: the pods of a TrainJob ------------------------------------------------
const SCHEMAS = path.join(__dirname, '..', '..', '..', '..', 'shared', 'schemas');

/** The ClusterTrainingRuntimes Trainer 2.3 installs, by name. */
export function trainerRuntimes(): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const f of fs.readdirSync(SCHEMAS).filter((x) => x.startsWith('trainer-runtime-'))) {
    const runtime = YAML.parse(fs.readFileSync(path.join(SCHEMAS, f), 'utf8')) as Json;
    out.set(str(obj(runtime.metadata)!.name), runtime);
  }
  return out;
}

/**
 * The pods of a TrainJob: each replicated job's pod template of its runtime, the runtimePatches
 * merged in, and the trainer's image, command, args, env and resources on the 'node' container of
 * the replicated job that trains (trainer.kubeflow.org/trainjob-ancestor-step: trainer).
 */
export function trainJobPods(job: Json): Pod[] {
  const spec = obj(job.spec)!;
  const runtimeName = str(obj(spec.runtimeRef)!.name);
  const runtime = trainerRuntimes().get(runtimeName);
  if (!runtime) throw new Error(`TrainJob runtime '${runtimeName}' is not installed by Kubeflow Trainer 2.3`);
  let template = obj(obj(runtime.spec)!.template)!;
  for (const p of list(spec.runtimePatches)) template = strategicMerge(template, obj(obj(p.trainingRuntimeSpec)?.template) ?? {}) as Json;
  const trainer = obj(spec.trainer) ?? {};
  return list(obj(template.spec)!.replicatedJobs).map((rj) => {
    const jobTemplate = obj(rj.template)!;
    const podTemplate = obj(obj(jobTemplate.spec)!.template)!;
    let podSpec = obj(podTemplate.spec)!;
    if (obj(obj(jobTemplate.metadata)?.labels)?.['trainer.kubeflow.org/trainjob-ancestor-step'] === 'trainer') {
      const { image, command, args, env, resourcesPerNode } = trainer;
      podSpec = strategicMerge(podSpec, { containers: [{ name: 'node', image, command, args, env, resources: resourcesPerNode }] }) as Json;
    }
    return { name: `TrainJob ${str(obj(job.metadata)!.name)} (${runtimeName}/${str(rj.name)})`, metadata: { annotations: obj(obj(podTemplate.metadata)?.annotations) as Record<string, string> | undefined }, spec: podSpec };
  });
}
