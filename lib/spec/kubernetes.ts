/**
 * Kubernetes-only knobs of the spec (DESIGN.md: target-only knobs live in a `kubernetes: {...}`
 * section). The AWS target ignores these sections; the Kubernetes target reads them.
 */
import { z } from 'zod';
import { ACCELERATOR_NODE_LABEL_PRESETS, ACCELERATOR_TYPES } from '../catalog';
import { addIssue, int, tokenOr } from './primitives';

/**
 * An OCI image reference pinned to a tag or a digest: `registry[:port]/path:tag` or `...@sha256:<64 hex>`.
 * 'latest' is refused: a moving tag makes a rollout unreproducible.
 */
export const IMAGE_REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:(?!latest$)[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;
export const imageReference = () => tokenOr(z.string().regex(IMAGE_REFERENCE, { error: "an image reference with a tag other than 'latest' or a digest, e.g. 'ghcr.io/acme/churn:1.4.0'" }));

/** A DNS-1123 label: namespaces and other object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const dnsLabel = () => z.string().regex(DNS_LABEL, { error: 'a DNS-1123 label: 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit' });

/** A Kubernetes CPU quantity: whole or decimal cores ('2', '0.5') or millicores ('500m'). */
export const CPU_QUANTITY = /^([0-9]+(\.[0-9]{1,3})?|[0-9]+m)$/;

/**
 * The images cdk-mlops runs when the spec names none: official images, fully qualified, pinned to
 * a release tag (tags checked to exist when chosen; no digest: one could not be verified offline,
 * and a wrong digest fails every pull). Each is configurable in the platform spec's kubernetes section.
 * - kubectl: the Kubernetes project's own image (registry.k8s.io/kubectl, published since 1.28;
 *   Bitnami removed its versioned tags). It is distroless, so the retraining gate's shell comes from
 * - busybox: the Docker official image, statically linked (musl), copied into the gate at start.
 */
export const DEFAULT_IMAGES = {
  kubectl: 'registry.k8s.io/kubectl:v1.31.4',
  busybox: 'docker.io/library/busybox:1.37.0-musl',
  redis: 'docker.io/library/redis:7.4.2-bookworm',
  postgres: 'docker.io/library/postgres:16.6-bookworm',
  /**
   * Vector (Datadog's log router): receives KServe's request/response CloudEvents and writes the capture.
   * Tag scheme `<version>-distroless-static` as Vector's release script builds it (vectordotdev/vector
   * v0.46.1 scripts/build-docker.sh); every source, transform and sink option and VRL function the
   * receiver renders was checked against that release (website/cue/reference, vrl 0.23.0).
   */
  captureReceiver: 'docker.io/timberio/vector:0.46.1-distroless-static',
  /**
   * KServe's agent: the request logger KServe injects into a predictor, run as a sidecar of plain Deployments.
   * The image KServe v0.20.0 itself injects (charts/_common/common-patches/configmap-patch.yaml:
   * `kserve/agent:<agent.tag | default version>`, version v0.20.0); its flags are cmd/agent/main.go's.
   */
  kserveAgent: 'docker.io/kserve/agent:v0.20.0',
} as const;

/**
 * Where pods resolve names: the cluster DNS pods in any namespace (CoreDNS and kube-dns carry
 * `k8s-app: kube-dns` on kubeadm, EKS, AKS and GKE), and the link-local addresses of NodeLocal
 * DNSCache (169.254.20.10) and GKE Cloud DNS / the metadata server (169.254.169.254).
 */
export const DEFAULT_CLUSTER_DNS = { podLabels: { 'k8s-app': 'kube-dns' }, cidrs: ['169.254.20.10/32', '169.254.169.254/32'] };

/** The Prometheus that scrapes the platform: kube-prometheus-stack's defaults. */
export const DEFAULT_PROMETHEUS = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };

const labelMap = () => z.record(z.string().min(1).max(317), z.string().max(63));
/** An IPv4 CIDR (each octet ≤ 255, prefix ≤ 32) or an IPv6 one (prefix ≤ 128). */
const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$|^[0-9a-fA-F:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

export const clusterDnsSchema = z.strictObject({
  podLabels: labelMap().meta({ description: "Labels of the cluster DNS pods, in any namespace. @default { 'k8s-app': 'kube-dns' }" }),
  cidrs: z.array(z.string().regex(CIDR, { error: "a CIDR such as '169.254.20.10/32'" })).meta({ description: "Further DNS addresses (NodeLocal DNSCache, cloud DNS; add the kube-dns Service IP when NodeLocal DNSCache intercepts it). @default ['169.254.20.10/32', '169.254.169.254/32']" }),
}).meta({ description: 'Where every pod but the network-isolated ones may send DNS (port 53, UDP and TCP).' });

export const prometheusSchema = z.strictObject({
  namespace: dnsLabel().meta({ description: "@default 'monitoring'" }),
  podLabels: labelMap().meta({ description: "Labels of the Prometheus pods. @default { 'app.kubernetes.io/name': 'prometheus' }" }),
}).meta({ description: 'The Prometheus admitted to scrape endpoints, MLflow and Feast on their metrics ports.' });

export type PrometheusAccess = z.output<typeof prometheusSchema>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const metricName = () => z.string().regex(METRIC_NAME, { error: 'a Prometheus metric name' });
const labelName = () => z.string().regex(LABEL_NAME, { error: 'a Prometheus label name' });

/**
 * The request metrics an endpoint's serving container exposes on its metrics port: the alerts and
 * dashboards read them. KServe in RawDeployment (Standard) mode has no queue-proxy, so request
 * metrics are the model server's own; the defaults are the Prometheus HTTP convention.
 *
 * Checked against KServe v0.20.0: its Python model server exposes only the histograms
 * request_preprocess_seconds, request_predict_seconds, request_postprocess_seconds and
 * request_explain_seconds (label model_name; python/kserve/kserve/metrics.py, served at /metrics by
 * protocol/rest/server.py), and no request counter with a status code. So with KServe's own server
 * the defaults match nothing: latency can read `durationSeconds: 'request_predict_seconds'`, and the
 * 5XX and 4XX alerts need a server that counts responses by status (e.g. one instrumented with
 * prometheus-fastapi-instrumentator, whose http_requests_total labels the status `status`, as '2xx').
 */
export const requestMetricsSchema = z.strictObject({
  requestsTotal: metricName().default('http_requests_total').meta({ description: "Counter of requests served, with the status code label. @default 'http_requests_total'" }),
  durationSeconds: metricName().default('http_request_duration_seconds').meta({ description: "Histogram of request durations in seconds (its '_bucket' series are read). @default 'http_request_duration_seconds'" }),
  codeLabel: labelName().default('code').meta({ description: "The label of requestsTotal holding the HTTP status code. @default 'code'" }),
}).meta({ description: "What the serving container exposes on its metrics port for the alerts and dashboards (latency, 5XX, 4XX). @default - the Prometheus HTTP convention: http_requests_total{code} and http_request_duration_seconds" });

export type RequestMetrics = z.output<typeof requestMetricsSchema>;

/** How the NVIDIA DCGM exporter labels a GPU's pod: 'pod'/'namespace', or 'exported_pod'/'exported_namespace' when scraped without honorLabels. */
export const gpuMetricLabelsSchema = z.strictObject({
  namespace: labelName().default('namespace'),
  pod: labelName().default('pod'),
});

export const observabilitySchema = z.strictObject({
  monitorLabels: labelMap().default({}).meta({ description: "Labels the Prometheus podMonitorSelector and serviceMonitorSelector match, e.g. { release: 'kube-prometheus-stack' }. @default - none" }),
  ruleLabels: labelMap().default({}).meta({ description: "Labels the Prometheus ruleSelector matches, on every PrometheusRule of the platform (merged with drift.prometheusRuleLabels). @default - none" }),
  dashboardLabels: labelMap().default({ grafana_dashboard: '1' }).meta({ description: "Labels Grafana's dashboard sidecar watches ConfigMaps for. @default { grafana_dashboard: '1' }" }),
  runbookBaseUrl: z.url().optional().meta({ description: "Where the alerts' runbooks are: each alert's runbook_url is '<runbookBaseUrl>/<alert name>'. @default - no runbook_url (the description says what to check)" }),
  gpuMetricLabels: gpuMetricLabelsSchema.prefault({}).meta({ description: "The labels DCGM exporter's GPU metrics carry the pod's namespace and name in. @default { namespace: 'namespace', pod: 'pod' } (dcgm-exporter scraped with honorLabels)" }),
  captureImage: imageReference().default(DEFAULT_IMAGES.captureReceiver).meta({ description: `The request capture receiver (Vector). @default '${DEFAULT_IMAGES.captureReceiver}'` }),
  agentImage: imageReference().default(DEFAULT_IMAGES.kserveAgent).meta({ description: `KServe's agent, the request logger sidecar of endpoints served as plain Deployments. @default '${DEFAULT_IMAGES.kserveAgent}'` }),
}).meta({ description: 'Scraping (PodMonitors, ServiceMonitors), alerts (PrometheusRules), Grafana dashboards and request capture on Kubernetes.' });

export type ObservabilitySpec = z.output<typeof observabilitySchema>;
export type ClusterDns = z.output<typeof clusterDnsSchema>;

export const acceleratorNodeLabelSchema = z.union([
  z.enum(ACCELERATOR_NODE_LABEL_PRESETS),
  z.strictObject({
    key: z.string().min(1).max(317),
    values: z.partialRecord(z.enum(ACCELERATOR_TYPES as unknown as [string, ...string[]]), z.string().max(63)),
  }),
]).meta({ description: "How GPU nodes are labelled: 'nvidia-gfd' (nvidia.com/gpu.product), 'gke' (cloud.google.com/gke-accelerator), 'karpenter' (karpenter.k8s.aws/instance-gpu-name), 'none' (no node selector), or { key, values: { <accelerator>: <value> } }. @default 'nvidia-gfd'" });


export const endpointKubernetesSchema = z.strictObject({
  image: imageReference().optional().meta({ description: "The serving image on Kubernetes (any registry), carrying the model or loading it from the registry. Required by the Kubernetes target: SageMaker's ECR images and S3 model data are AWS-only. @default - none" }),
  // A non-root container with every capability dropped cannot bind a port below 1024.
  port: int(1024, 65535).default(8080).meta({ description: "The container's HTTP port, 1024 or above (the pod runs non-root without NET_BIND_SERVICE). @default 8080 (the SageMaker serving contract)" }),
  healthPath: z.string().regex(/^\/[\w./-]*$/, { error: "an HTTP path starting with '/'" }).default('/ping').meta({ description: "Path of the readiness, liveness and startup probes. @default '/ping' (the SageMaker serving contract)" }),
  startupTimeoutSeconds: int(10, 3600).default(600).meta({ description: 'How long a new pod may take to load its model before it is restarted. @default 600' }),
  targetCpuUtilizationPercent: int(1, 100).default(70).meta({ description: 'HorizontalPodAutoscaler target on average CPU utilization of requests. @default 70' }),
  requestsPerSecondMetric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'a metric name' }).optional().meta({ description: 'A per-pod requests-per-second metric served by a custom metrics adapter (e.g. prometheus-adapter); scaled on with target scaling.targetInvocationsPerInstance / 60. @default - not used' }),
  gpuUtilizationMetric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'a metric name' }).default('DCGM_FI_DEV_GPU_UTIL').meta({ description: "The per-pod GPU utilization metric (NVIDIA DCGM exporter via a custom metrics adapter) used for scaling.targetGpuUtilizationPercent. @default 'DCGM_FI_DEV_GPU_UTIL'" }),
  metricsPort: int(1024, 65535).optional().meta({ description: 'The port Prometheus scrapes (admitted from the platform\'s Prometheus by the NetworkPolicy). @default - the serving port' }),
  allowFromNamespaces: z.array(dnsLabel()).default([]).meta({ description: "Namespaces (e.g. the ingress controller's) whose pods may call the endpoint's port, besides its own namespace. @default - none" }),
  cpu: z.string().regex(CPU_QUANTITY, { error: "a CPU quantity such as '2', '0.5' or '500m'" }).optional().meta({ description: 'CPU request per pod. @default - 3/4 of the vCPUs of the resolved instance type (room for the kubelet and daemons on a node of that size)' }),
  memoryMiB: int(64).optional().meta({ description: 'Memory request and limit per pod in MiB. @default - 3/4 of the memory of the resolved instance type, or the serverless memory size' }),
  serving: z.enum(['deployment', 'kserve']).default('deployment').meta({ description: "'deployment': a Deployment, Service and HorizontalPodAutoscaler of our own; 'kserve': a KServe InferenceService in RawDeployment (Standard) mode, in the platform's CRD stack, which creates them. @default 'deployment'" }),
  waitForRollout: z.boolean().default(true).meta({ description: 'Make `terraform apply` wait until the rollout is complete (and fail if it stalls). @default true' }),
  requestMetrics: requestMetricsSchema.prefault({}),
});

export type EndpointKubernetesSpec = z.output<typeof endpointKubernetesSchema>;

// --- Pipelines, training and Terraform state on Kubernetes ----------------------------------

/** Where Terraform keeps each stack's state: never inside cdktf.out/, which every synth replaces. */
export const kubernetesBackendSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('local'),
    directory: z.string().min(1).default('terraform-state').meta({ description: "A directory, relative to the directory that holds the synth output (the parent of cdktf.out/), or absolute; state is '<directory>/<stack>.tfstate'. It must not be inside the output. @default 'terraform-state'" }),
  }),
  z.strictObject({
    type: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'an S3 bucket name' }),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "an AWS region such as 'us-east-1'" }),
    keyPrefix: z.string().regex(/^[\w./-]+$/, { error: 'an S3 key prefix' }).default('cdk-mlops').meta({ description: "State of each stack at '<keyPrefix>/<stack>.tfstate'. @default 'cdk-mlops'" }),
    kmsKeyId: z.string().min(1).optional().meta({ description: 'KMS key that encrypts the state objects. @default - the bucket default (state is always written encrypted)' }),
    dynamodbTable: z.string().min(3).max(255).optional().meta({ description: 'DynamoDB lock table. @default - S3 lock files (use_lockfile)' }),
  }),
  z.strictObject({
    type: z.literal('gcs'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { error: 'a GCS bucket name' }),
    prefix: z.string().regex(/^[\w./-]+$/, { error: 'an object prefix' }).default('cdk-mlops').meta({ description: "State of each stack under '<prefix>/<stack>/'. @default 'cdk-mlops'" }),
  }),
  z.strictObject({
    type: z.literal('kubernetes'),
    namespace: dnsLabel().default('default').meta({ description: "Namespace of the state Secrets 'tfstate-default-<stack>' (and their lock Leases). @default 'default'" }),
  }),
]);

export type KubernetesBackendSpec = z.output<typeof kubernetesBackendSchema>;

/** The private address ranges: the default API server CIDRs of network-isolated training (no internet). */
export const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

export const kubernetesPipelineSchema = z.strictObject({
  workspaceStorageClassName: dnsLabel().optional().meta({ description: "StorageClass of each pipeline run's workspace volume. Distributed training mounts it on every node (ReadWriteMany): choose a class that offers it (EFS, Filestore, Azure Files, CephFS); EBS, PD and Azure Disk do not. @default - the cluster default (a synth warning when training is distributed)" }),
  apiServerCidrs: z.array(z.string().regex(CIDR, { error: "a CIDR such as '10.0.0.0/16'" })).min(1).default([...PRIVATE_CIDRS]).meta({ description: "Where the Kubernetes API endpoints are (kubectl get endpoints kubernetes): the only egress of network-isolated training pods, for Argo's executor (ports 443 and 6443). @default - the private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16" }),
}).prefault({});

/** A version such as '3.7.2' or 'v0.15.1'. */
const VERSION = /^v?(\d+)\.(\d+)(\.\d+)?([-+][\w.-]+)?$/;
const version = () => z.string().regex(VERSION, { error: "a version such as '3.7.2'" });

/** The oldest version of each controller the rendered objects work with, and why. */
export const MINIMUM_VERSIONS = {
  argoWorkflows: { min: [3, 6], why: "CronWorkflow 'schedules' (a list) appeared in Argo Workflows 3.6" },
  kueue: { min: [0, 15], why: 'the kueue.x-k8s.io/v1beta2 API is served from Kueue 0.15' },
  trainer: { min: [2, 2], why: "TrainJob 'runtimePatches' appeared in Kubeflow Trainer 2.2" },
} as const;

export const kubernetesVersionsSchema = z.strictObject({
  argoWorkflows: version().optional().meta({ description: 'The Argo Workflows version installed (≥ 3.6). @default - not checked' }),
  kueue: version().optional().meta({ description: 'The Kueue version installed (≥ 0.15). @default - not checked' }),
  trainer: version().optional().meta({ description: 'The Kubeflow Trainer version installed (≥ 2.2). @default - not checked' }),
}).meta({ description: 'Versions of the controllers installed on the cluster, checked against the minimums the rendered objects need.' });

/** True when `v` is at least `[major, minor]`. */
export function versionAtLeast(v: string, [major, minor]: readonly [number, number]): boolean {
  const m = VERSION.exec(v);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/**
 * What a platform needs of the cluster's controllers: a scheduled pipeline (Argo), a training
 * cluster (Kueue), distributed training (Trainer).
 */
export interface KubernetesNeeds {
  readonly scheduledPipeline: boolean;
  readonly trainingCluster: boolean;
  readonly distributedTraining: boolean;
}

/** Issues for versions below the minimum of what the platform uses, at kubernetes.versions.<controller>. */
export function refineKubernetesVersions(versions: z.output<typeof kubernetesVersionsSchema> | undefined, needs: KubernetesNeeds, ctx: z.RefinementCtx, base: PropertyKey[] = ['kubernetes', 'versions']): void {
  if (!versions) return;
  const used = { argoWorkflows: needs.scheduledPipeline, kueue: needs.trainingCluster, trainer: needs.distributedTraining };
  for (const key of Object.keys(MINIMUM_VERSIONS) as (keyof typeof MINIMUM_VERSIONS)[]) {
    const v = versions[key];
    const { min, why } = MINIMUM_VERSIONS[key];
    if (v !== undefined && used[key] && !versionAtLeast(v, min)) {
      addIssue(ctx, [...base, key], `is older than what the platform renders needs: ${why}`, { got: `'${v}'`, expected: `≥ ${min.join('.')}` });
    }
  }
}

/**
 * Kubeflow Trainer names a TrainJob's JobSet after it, and JobSet's webhook refuses one whose longest
 * pod name, `<jobset>-<replicatedJob>-<jobIndex>-<podIndex>-<5 random>`, is not a DNS-1035 label (63
 * characters). The pipeline names its TrainJob after the Argo Workflow, `<model>-pipeline-<suffix>`,
 * where the suffix is at most 14 characters: a drift monitor's retraining run (`generateName`
 * `<template>-retrain-` and 5 random characters); a CronWorkflow adds `-<unix time>` (11), a plain
 * submission 6. torch-distributed has one replicated job, 'node', of `numNodes` indexed pods.
 */
export function longestTrainingPodName(model: string, numNodes: number): string {
  return `${model}-pipeline-retrain-abcde-node-0-${numNodes - 1}-abcde`;
}

/** JobSet's limit on the names {@link longestTrainingPodName} builds. */
export const JOBSET_POD_NAME_MAX = 63;

export const platformKubernetesSchema = z.strictObject({
  backend: kubernetesBackendSchema.default({ type: 'local', directory: 'terraform-state' }).meta({ description: "Where Terraform keeps each stack's state (local directory, S3, GCS or a Kubernetes Secret). @default - a local 'terraform-state/' beside the synth output, which synth never touches" }),
  pipeline: kubernetesPipelineSchema.meta({ description: 'Pipelines and training on Kubernetes: the run workspace storage class and the API endpoints isolated training may reach.' }),
  versions: kubernetesVersionsSchema.optional(),
  namespace: dnsLabel().optional().meta({ description: 'The namespace every workload of the platform runs in. @default - the platform name, lower-cased' }),
  storageClassName: dnsLabel().optional().meta({ description: 'StorageClass of the persistent volumes (registry database and artifacts). Choose an encrypted class. @default - the cluster default' }),
  viewerGroups: z.array(z.string().min(1).max(256)).default([]).meta({ description: "Groups (as the cluster's authenticator names them) bound to the read-only 'mlops-viewer' Role. @default - none" }),
  acceleratorNodeLabel: acceleratorNodeLabelSchema.default('nvidia-gfd'),
  dns: clusterDnsSchema.default(DEFAULT_CLUSTER_DNS),
  prometheus: prometheusSchema.default(DEFAULT_PROMETHEUS),
  observability: observabilitySchema.prefault({}),
  registry: z.strictObject({
    mlflowImage: imageReference().optional().meta({ description: 'MLflow tracking server image with the psycopg2 PostgreSQL driver (the official ghcr.io/mlflow/mlflow image lacks it, mlflow/mlflow#9513; docker/mlflow/Dockerfile builds one). Required when a model has a registry. @default - none' }),
    postgresImage: imageReference().default(DEFAULT_IMAGES.postgres).meta({ description: `PostgreSQL image of the registry's database (its user id must be 999, as the official image's). @default '${DEFAULT_IMAGES.postgres}'` }),
    databaseSecretName: dnsLabel().optional().meta({ description: "An existing Secret with 'username' and 'password' keys for the registry's PostgreSQL. @default - '<namespace>-registry-db', created outside Terraform so the password never enters the state" }),
    databaseVolumeGiB: int(1, 65536).default(20).meta({ description: '@default 20' }),
    artifactsVolumeGiB: int(1, 65536).default(100).meta({ description: 'Size of the volume MLflow serves artifacts from. @default 100' }),
  }).default({ postgresImage: DEFAULT_IMAGES.postgres, databaseVolumeGiB: 20, artifactsVolumeGiB: 100 }),
  featureStore: z.strictObject({
    feastImage: imageReference().optional().meta({ description: "A Feast image with the redis extra (feast[redis]), Feast 0.41 or later (feast serve --metrics), e.g. 'docker.io/feastdev/feature-server:0.49.0'. Required when a model has a featureStore. @default - none" }),
    redisImage: imageReference().default(DEFAULT_IMAGES.redis).meta({ description: `Redis image of the online stores (its user id must be 999, as the official image's). @default '${DEFAULT_IMAGES.redis}'` }),
    redisVolumeGiB: int(1, 65536).default(10).meta({ description: "Size of each model's Redis volume (retained). @default 10" }),
    offlineStoreUri: z.string().regex(/^(s3|gs|az|abfss?):\/\/[^/\s]+(\/\S*)?$/, { error: "an object store URI such as 's3://features'" }).optional()
      .meta({ description: "Where feature groups with an offline store keep their history, under '<uri>/<model>/<group>/'. Required when a group keeps history. @default - none" }),
    storageEndpointUrl: z.url().optional().meta({ description: 'S3-compatible endpoint of the offline store (MinIO, Ceph). @default - AWS S3' }),
    storageCredentialsSecretName: dnsLabel().optional().meta({ description: "Secret with 'access-key-id' and 'secret-access-key' for the offline store. @default - the pod's ambient credentials" }),
  }).default({ redisImage: DEFAULT_IMAGES.redis, redisVolumeGiB: 10 }).meta({ description: "Feast feature servers and their Redis online stores; each model's Redis password is read from the Secret '<model>-features-redis' (key 'password'), created outside Terraform." }),
  drift: z.strictObject({
    image: imageReference().optional().meta({ description: 'The drift analysis image (its contract: the README, DriftMonitor on Kubernetes). Required when a model has drift. @default - none' }),
    pushgatewayUrl: z.string().regex(/^https?:\/\/[^/\s]+\/?$/, { error: "a Pushgateway base URL such as 'http://pushgateway.monitoring:9091'" }).optional()
      .meta({ description: 'The Prometheus Pushgateway drift results are pushed to. Required when a model has drift. @default - none' }),
    captureUri: z.string().regex(/^(s3|gs|az|abfss?):\/\/[^/\s]+(\/\S*)?$/, { error: "an object store URI such as 's3://capture'" }).optional()
      .meta({ description: "Where endpoints' requests are captured, under '<uri>/<model>/'. Required when a model has drift. @default - none" }),
    storageEndpointUrl: z.url().optional().meta({ description: 'S3-compatible endpoint of the capture and baseline store. @default - AWS S3' }),
    storageCredentialsSecretName: dnsLabel().optional().meta({ description: "Secret with 'access-key-id' and 'secret-access-key' for that store. @default - the pod's ambient credentials" }),
    kubectlImage: imageReference().default(DEFAULT_IMAGES.kubectl).meta({ description: `Image of the retraining gate, with kubectl on its PATH (a shell is not needed). @default '${DEFAULT_IMAGES.kubectl}'` }),
    shellImage: imageReference().default(DEFAULT_IMAGES.busybox).meta({ description: `A statically linked busybox whose /bin/busybox the gate runs its script with. @default '${DEFAULT_IMAGES.busybox}'` }),
    prometheusRuleLabels: z.record(z.string().min(1).max(317), z.string().max(63)).default({}).meta({ description: "Labels the Prometheus ruleSelector matches, e.g. { release: 'kube-prometheus-stack' }. @default - none" }),
  }).default({ kubectlImage: DEFAULT_IMAGES.kubectl, shellImage: DEFAULT_IMAGES.busybox, prometheusRuleLabels: {} }).meta({ description: 'Drift monitor CronJobs, their PrometheusRules (CRD stack) and retraining through the Argo WorkflowTemplate of the model pipeline.' }),
});

export type PlatformKubernetesSpec = z.output<typeof platformKubernetesSchema>;

/** The parts of a platform spec the Kubernetes checks read (structural: platform.ts imports this file). */
export interface KubernetesCheckedPlatform {
  readonly kubernetes?: { readonly versions?: z.output<typeof kubernetesVersionsSchema> };
  readonly models: readonly { readonly name: string; readonly pipeline?: { readonly schedule?: string; readonly train: { readonly distribution: string; readonly instanceCount: number } } }[];
  readonly trainingClusters: readonly unknown[];
}

/**
 * The checks of a platform that targets Kubernetes (it has a `kubernetes` section), run by
 * `mlops validate`: controller versions, and the names JobSet derives from a model's name.
 */
export function refineKubernetesPlatform(p: KubernetesCheckedPlatform, ctx: z.RefinementCtx): void {
  if (!p.kubernetes) return;
  const distributed = p.models.filter((m) => m.pipeline && m.pipeline.train.distribution !== 'none');
  refineKubernetesVersions(p.kubernetes.versions, {
    scheduledPipeline: p.models.some((m) => m.pipeline?.schedule !== undefined),
    trainingCluster: p.trainingClusters.length > 0,
    distributedTraining: distributed.length > 0,
  }, ctx);
  p.models.forEach((m, i) => {
    if (!m.pipeline || m.pipeline.train.distribution === 'none' || typeof m.pipeline.train.instanceCount !== 'number') return;
    const longest = longestTrainingPodName(m.name.toLowerCase(), m.pipeline.train.instanceCount);
    if (longest.length > JOBSET_POD_NAME_MAX) {
      addIssue(ctx, ['models', i, 'name'], `is too long for distributed training on Kubernetes: JobSet names the training pods after it ('${longest}', ${longest.length} characters)`, {
        got: `'${m.name}' (${m.name.length} characters)`,
        expected: `at most ${m.name.length - (longest.length - JOBSET_POD_NAME_MAX)} characters`,
      });
    }
  });
}
