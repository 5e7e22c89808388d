import { Testing } from 'cdktf';
import { EndpointSpecInput, PlatformSpecInput } from '../../../lib/spec';
import { KubernetesPlatformStack } from '../../../stacks/kubernetes/platform';
import { referencePlatform } from '../../../stacks/reference-platform';
import { apiObjects, Json, manifests, Synth } from '../../constructs/kubernetes/helpers';
import { argoPods, Pod, strategicMerge, trainJobPods, violations } from '../../constructs/kubernetes/pod-security';

const obj = (v: unknown) => v as Json;

/** Every pod that will run from a platform's whole Kubernetes output (both stacks), and the kinds they came from. */
function podsOf(spec: PlatformSpecInput): { pods: Pod[]; kinds: Set<string>; workflowTemplates: ReturnType<typeof manifests> } {
  const stack = new KubernetesPlatformStack(Testing.app(), spec.name, { spec });
  const typed = JSON.parse(Testing.synth(stack)) as Synth;
  const crds = JSON.parse(Testing.synth(stack.crdStack!)) as Synth;
  const pods: Pod[] = [];
  const kinds = new Set<string>();
  const add = (kind: string, name: unknown, template: Json) => {
    kinds.add(kind);
    pods.push({ name: `${kind} ${String(name)}`, metadata: obj(template.metadata), spec: obj(template.spec) });
  };
  for (const o of apiObjects(typed)) {
    const spec = obj(o.spec);
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind)) add(o.kind, o.metadata.name, obj(spec.template));
    else if (o.kind === 'CronJob') add(o.kind, o.metadata.name, obj(obj(obj(spec.jobTemplate).spec).template));
    else if (o.kind === 'Pod') add(o.kind, o.metadata.name, o);
  }
  for (const m of manifests(crds)) {
    if (m.kind === 'InferenceService') {
      // KServe builds the predictor's pod from its pod-spec fields (RawDeployment: no queue-proxy).
      kinds.add(m.kind);
      pods.push({ name: `InferenceService ${String(m.metadata.name)}`, metadata: { annotations: obj(m.metadata.annotations) as Record<string, string> }, spec: obj(m.spec.predictor) });
    } else if (m.kind === 'WorkflowTemplate' || m.kind === 'Workflow') {
      kinds.add(m.kind);
      pods.push(...argoPods(m));
      // The distributed training step's TrainJob, as the workflow submits it.
      for (const t of (m.spec.templates as Json[]).filter((x) => obj(x.resource)?.action === 'create')) {
        const job = JSON.parse(String(obj(t.resource).manifest)) as Json;
        if (job.kind === 'TrainJob') {
          kinds.add('TrainJob');
          pods.push(...trainJobPods(job));
        }
      }
    } else if (m.kind === 'CronWorkflow') {
      // Runs the WorkflowTemplate it references (checked above), nothing of its own.
      expect(obj(obj(m.spec.workflowSpec).workflowTemplateRef).name).toBeDefined();
    } else if (m.kind === 'TrainJob') {
      kinds.add('TrainJob');
      pods.push(...trainJobPods(m));
    }
  }
  return { pods, kinds, workflowTemplates: manifests(crds).filter((m) => m.kind === 'WorkflowTemplate') };
}

const llm = referencePlatform.models[0];
/** The reference platform with the LLM served by KServe: every pod-bearing kind the target renders. */
const withKserve: PlatformSpecInput = { ...referencePlatform, models: [{ ...llm, endpoint: { ...(llm.endpoint as EndpointSpecInput), kubernetes: { ...(llm.endpoint as EndpointSpecInput).kubernetes, serving: 'kserve' } } }, ...referencePlatform.models.slice(1)] };

describe('Pod Security restricted, at admission: every pod the Kubernetes target will run', () => {
  let reference: ReturnType<typeof podsOf>;
  let kserve: ReturnType<typeof podsOf>;
  beforeAll(() => {
    reference = podsOf(referencePlatform);
    kserve = podsOf(withKserve);
  });

  it("covers every kind that runs pods: Deployments, StatefulSets, CronJobs, Jobs (model card tags), Argo's workflow pods, TrainJobs, InferenceServices", () => {
    expect([...reference.kinds].sort()).toEqual(['CronJob', 'Deployment', 'Job', 'StatefulSet', 'TrainJob', 'WorkflowTemplate']);
    expect(kserve.kinds).toContain('InferenceService');
    // Two pipelines (5 pod templates each: preprocess, train, evaluate, register, gate-failed; plus the distributed one's exit handler) and the TrainJob's one replicated job.
    expect(reference.pods.filter((p) => p.name.startsWith('Argo '))).toHaveLength(11);
    expect(reference.pods.filter((p) => p.name.startsWith('TrainJob '))).toHaveLength(1);
  });

  it('admits every pod of the reference platform, Argo init and wait containers included (the controller left as installed)', () => {
    const argo = reference.pods.filter((p) => p.name.startsWith('Argo '));
    for (const p of argo) {
      const names = [...(p.spec.initContainers as Json[]), ...(p.spec.containers as Json[])].map((c) => c.name);
      expect(names).toContain('init');
    }
    expect(argo.filter((p) => (p.spec.containers as Json[]).some((c) => c.name === 'wait')).length).toBeGreaterThan(8);
    expect(reference.pods.flatMap(violations)).toEqual([]);
  });

  it('admits the InferenceService predictor pod', () => {
    expect(kserve.pods.filter((p) => p.name.startsWith('InferenceService ')).flatMap(violations)).toEqual([]);
  });

  it("would refuse Argo's pods without the executor patch: Argo hardens init and wait only from the controller's executor.securityContext", () => {
    const argo = reference.pods.filter((p) => p.name.startsWith('Argo '));
    expect(argo.length).toBeGreaterThan(0);
    const [template] = reference.workflowTemplates;
    const unpatched = { ...template, spec: { ...template.spec, templates: (template.spec.templates as Json[]).map(({ podSpecPatch: _patch, ...t }) => t) } };
    const found = argoPods(unpatched).flatMap(violations);
    expect(found).toContainEqual(expect.stringMatching(/init container init does not set allowPrivilegeEscalation false/));
    expect(found).toContainEqual(expect.stringMatching(/container wait does not drop ALL capabilities/));
  });
});

describe('the restricted checker', () => {
  const good: Pod = {
    name: 'p',
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', persistentVolumeClaim: { claimName: 'c' } }, { name: 'c', secret: { secretName: 's' } }],
      containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
    },
  };
  const withSpec = (patch: Json) => ({ ...good, spec: strategicMerge(good.spec, patch) as Json });
  const container = (sc: Json) => withSpec({ containers: [{ name: 'c', securityContext: sc }] });

  it('admits a restricted pod', () => {
    expect(violations(good)).toEqual([]);
  });

  it.each([
    ['hostNetwork', withSpec({ hostNetwork: true }), /hostNetwork is true/],
    ['hostPID', withSpec({ hostPID: true }), /hostPID is true/],
    ['hostIPC', withSpec({ hostIPC: true }), /hostIPC is true/],
    ['a hostPath volume', withSpec({ volumes: [{ name: 'h', hostPath: { path: '/' } }] }), /hostPath/],
    ['a volume type outside the restricted list', withSpec({ volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] }), /type nfs/],
    ['a hostPort', withSpec({ containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }] }), /hostPort 80/],
    ['privileged', container({ privileged: true }), /is privileged/],
    ['allowPrivilegeEscalation unset', container({ allowPrivilegeEscalation: null }), /allowPrivilegeEscalation false/],
    ['capabilities not dropped', container({ capabilities: { drop: ['NET_RAW'] } }), /drop ALL/],
    ['an added capability', container({ capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } }), /adds capability SYS_ADMIN/],
    ['runAsNonRoot false', container({ runAsNonRoot: false }), /non-root/],
    ['runAsUser 0', container({ runAsUser: 0 }), /runAsUser is 0/],
    ['seccomp Unconfined', container({ seccompProfile: { type: 'Unconfined' } }), /seccompProfile Unconfined/],
    ['a SELinux user', container({ seLinuxOptions: { user: 'system_u' } }), /seLinuxOptions user/],
    ['procMount Unmasked', container({ procMount: 'Unmasked' }), /procMount Unmasked/],
    ['an unsafe sysctl', withSpec({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }), /sysctl kernel.msgmax/],
    ['AppArmor unconfined', withSpec({ securityContext: { appArmorProfile: { type: 'Unconfined' } } }), /appArmorProfile Unconfined/],
    ['a Windows host process', container({ windowsOptions: { hostProcess: true } }), /hostProcess/],
  ])('refuses %s', (_what, pod, message) => {
    expect(violations(pod)).toContainEqual(expect.stringMatching(message));
  });

  it('refuses a pod whose init container alone is not restricted', () => {
    expect(violations(withSpec({ initContainers: [{ name: 'i' }] }))).toContainEqual(expect.stringMatching(/init container i/));
  });

  it('refuses a TrainJob runtime Trainer 2.3 does not install', () => {
    expect(() => trainJobPods({ spec: { runtimeRef: { name: 'mpi-distributed' } }, metadata: { name: 'x' } })).toThrow(/not installed by Kubeflow Trainer 2.3/);
  });
});
