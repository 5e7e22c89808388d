import { Testing } from 'cdktf';
import { Construct } from 'constructs';
import { CaptureTarget, ModelEndpoint, ModelEndpointProps, RequestCapture } from '../../../constructs/kubernetes';
import { EndpointSpecInput } from '../../../lib/spec';
import { expectValidationError, Json, ofKind, podSpecOf, synth, validateAll } from './helpers';

const IMAGE = 'ghcr.io/acme/churn:1.4.0';
const CPU: EndpointSpecInput = { compute: { instanceType: 'ml.m5.large' }, kubernetes: { image: IMAGE } };
const CAPTURE: CaptureTarget = { url: 'http://churn-capture.ml.svc.cluster.local:8080', selector: { 'app.kubernetes.io/name': 'churn-capture' }, port: 8080, agentImage: 'docker.io/kserve/agent:v0.20.0' };

const build = (scope: Construct, input: Partial<ModelEndpointProps> & EndpointSpecInput) => new ModelEndpoint(scope, 'Endpoint', { namespace: 'ml', name: 'churn', partOf: 'platform', ...input });

describe('ModelEndpoint (Kubernetes) with request capture', () => {
  it("runs KServe's agent beside the model, restricted, and the Service targets it: all valid API objects", () => {
    const { tf } = synth((scope) => { build(scope, { ...CPU, capture: CAPTURE }); });
    expect(validateAll(tf)).toBe(5);
    const pod = podSpecOf(ofKind(tf, 'Deployment')[0]);
    expect(pod.containers.map((c) => c.name)).toEqual(['model', 'agent']);
    const agent = pod.containers[1] as Json & { env: Json[]; securityContext: Json };
    expect(agent.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }));
    expect(agent.env).toContainEqual({ name: 'SERVING_READINESS_PROBE', value: JSON.stringify({ httpGet: { path: '/ping', port: 8080 }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }) });
    expect(agent.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(((ofKind(tf, 'Service')[0].spec as Json).ports as Json[])[0].targetPort).toBe('agent');
  });

  it('keeps a network-isolated endpoint that logs off the isolation label (it resolves the receiver) and lets it reach the receiver only', () => {
    const { tf } = synth((scope) => { build(scope, { ...CPU, networkIsolation: true, capture: CAPTURE }); });
    const labels = ((ofKind(tf, 'Deployment')[0].spec as Json).template as { metadata: { labels: Json } }).metadata.labels;
    expect(labels['mlops.cdk.io/network-isolation']).toBeUndefined();
    const np = ofKind(tf, 'NetworkPolicy')[0].spec as Json;
    expect(np.egress).toEqual([{ to: [{ podSelector: { matchLabels: CAPTURE.selector } }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
  });

  it("counts the agent in the endpoint's footprint for the namespace quota", () => {
    let plain: ModelEndpoint | undefined;
    let logged: ModelEndpoint | undefined;
    synth((scope) => { plain = build(scope, CPU); });
    synth((scope) => { logged = build(scope, { ...CPU, capture: CAPTURE }); });
    expect(logged!.footprint.cpuMillis - plain!.footprint.cpuMillis).toBe(100);
    expect(logged!.footprint.memoryMiB - plain!.footprint.memoryMiB).toBe(512);
  });

  it('logs nothing when the spec turns dataCapture off, even with a receiver', () => {
    const { tf } = synth((scope) => { build(scope, { ...CPU, dataCapture: { enabled: false }, capture: CAPTURE }); });
    expect(podSpecOf(ofKind(tf, 'Deployment')[0]).containers.map((c) => c.name)).toEqual(['model']);
  });
});

describe('RequestCapture', () => {
  const props = { namespace: 'ml', name: 'churn', partOf: 'platform', samplingPercent: 20, image: 'docker.io/timberio/vector:0.46.1-distroless-static', agentImage: 'docker.io/kserve/agent:v0.20.0', clientSelector: { 'app.kubernetes.io/name': 'churn' } };

  it('renders valid objects: a Deployment, Service, ConfigMap, ServiceAccount and NetworkPolicy', () => {
    const { tf } = synth((scope) => { new RequestCapture(scope, 'Capture', { ...props, captureUri: 's3://capture/churn/' }); });
    expect(validateAll(tf)).toBe(5);
  });

  it('writes to the bucket and prefix of an s3:// or gs:// URI', () => {
    expect(RequestCapture.parseUri('s3://capture/churn')).toEqual({ kind: 's3', bucket: 'capture', prefix: 'churn/' });
    expect(RequestCapture.parseUri('gs://capture/a/churn/')).toEqual({ kind: 'gs', bucket: 'capture', prefix: 'a/churn/' });
    expect(RequestCapture.parseUri('az://capture/churn/')).toBeUndefined();
  });

  it('rejects a store it cannot write to and a sampling share that is not a percentage, naming the field', () => {
    expectValidationError(() => synth((scope) => { new RequestCapture(scope, 'Capture', { ...props, captureUri: 'az://capture/churn/' }); }), 'RequestCapture', { path: 'captureUri', message: /not a store/ });
    expectValidationError(() => synth((scope) => { new RequestCapture(scope, 'Capture', { ...props, captureUri: 's3://capture/churn/', samplingPercent: 0 }); }), 'RequestCapture', { path: 'samplingPercent', message: /percentage/ });
  });

  it("admits only the endpoint on the capture port, reaches only the store's ports, and addresses an S3-compatible store by path", () => {
    const { tf } = synth((scope) => { new RequestCapture(scope, 'Capture', { ...props, captureUri: 's3://capture/churn/', storageEndpointUrl: 'http://minio.storage:9000' }); });
    const np = ofKind(tf, 'NetworkPolicy')[0].spec as Json & { ingress: Json[]; egress: Json[] };
    expect(np.ingress[0]).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'churn' } } }], ports: [{ port: 8080, protocol: 'TCP' }] });
    expect(np.egress).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }, { port: 9000, protocol: 'TCP' }] }]);
    expect(Testing.synthScope((scope) => { new RequestCapture(scope, 'Capture', { ...props, captureUri: 's3://capture/churn/', storageEndpointUrl: 'http://minio.storage:9000' }); })).toContain('force_path_style');
  });
});
