import { AnnotationMetadataEntryType, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ExperimentTracker, ExperimentTrackerProps, ModelRegistry } from '../../../constructs/kubernetes';
import { expectValidationError, Json, ofKind, podSpecOf, synth, validateAll } from './helpers';

const MLFLOW = 'ghcr.io/acme/mlflow-postgres:2.22.1';
const base = { namespace: 'ml', partOf: 'platform', mlflowImage: MLFLOW };
const build = (scope: Construct, props: Partial<ExperimentTrackerProps> & Record<string, unknown> = {}) => new ExperimentTracker(scope, 'Tracker', { ...base, ...props });
const container = (tf: Parameters<typeof ofKind>[0]) => podSpecOf(ofKind(tf, 'Deployment')[0]).containers[0] as Json & { args: string[]; resources: Json };

describe('ExperimentTracker (Kubernetes)', () => {
  it('runs its own MLflow server on PostgreSQL when the platform has none, every object valid', () => {
    const { tf } = synth((scope) => { build(scope); });
    expect(ofKind(tf, 'Deployment')).toHaveLength(1);
    expect(ofKind(tf, 'StatefulSet')).toHaveLength(1);
    expect(validateAll(tf)).toBe(9);
    const sts = ofKind(tf, 'StatefulSet')[0].spec as Json;
    expect(sts.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  it('shares the registry’s MLflow server: one server tracks runs and registers models', () => {
    const { tf } = synth((scope) => {
      const registry = new ModelRegistry(scope, 'Registry', { ...base, name: 'churn' });
      const tracker = build(scope, { server: registry.server });
      expect(tracker.shared).toBe(true);
      expect(tracker.trackingUri).toBe(registry.server.trackingUri);
      expect(tracker.clientLabels).toEqual(registry.server.clientLabels);
      expect(tracker.reservation).toBeUndefined();
    });
    expect(ofKind(tf, 'Deployment')).toHaveLength(1);
    expect(ofKind(tf, 'StatefulSet')).toHaveLength(1);
  });

  it('sizes the server by the spec size: more CPU, memory and workers for a Large tracker', () => {
    const small = container(synth((scope) => { build(scope); }).tf);
    const large = container(synth((scope) => { build(scope, { size: 'Large' }); }).tf);
    expect(small.resources).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { memory: '2048Mi' } });
    expect(large.resources).toEqual({ requests: { cpu: '2000m', memory: '4096Mi' }, limits: { memory: '8192Mi' } });
    expect(large.args.slice(-4)).toEqual(['--workers', '8', '--expose-prometheus', '/tmp/mlflow-metrics']);
  });

  it('reserves its server and database in the namespace quota', () => {
    synth((scope) => {
      const t = build(scope, { size: 'Medium', databaseVolumeGiB: 30 });
      expect(t.reservation).toEqual({ pods: 2, cpuMillis: 1250, memoryMiB: 5120, persistentVolumeClaims: 2, storageGiB: 130 });
    });
  });

  it("names a server of its own after the spec's name, lower-cased", () => {
    const { tf } = synth((scope) => { expect(build(scope, { name: 'Research-Tracking' }).trackingUri).toBe('http://research-tracking:5000'); });
    expect(ofKind(tf, 'Deployment')[0].metadata.name).toBe('research-tracking');
    expect(ofKind(tf, 'StatefulSet')[0].metadata.name).toBe('research-tracking-db');
  });

  it.each([
    ['2.22', MLFLOW],
    ['2.22.1', MLFLOW],
    ['2.22', 'ghcr.io/acme/mlflow:v2.22.1'],
    ['2.22', 'ghcr.io/acme/mlflow:2.22-slim'],
  ])('accepts mlflowVersion %s with the image %s, whose tag carries it, and runs that image', (mlflowVersion, mlflowImage) => {
    const { tf } = synth((scope) => { build(scope, { mlflowVersion, mlflowImage }); });
    expect(podSpecOf(ofKind(tf, 'Deployment')[0]).containers.map((c) => c.image)).toEqual([mlflowImage]);
  });

  it('warns that the maintenance window is not rendered', () => {
    const t = build(new TerraformStack(Testing.app(), 'S'), { weeklyMaintenanceWindowStart: 'Sun:03:00' });
    const warnings = t.node.metadata.filter((m) => m.type === (AnnotationMetadataEntryType.WARN as string)).map((m) => String(m.data));
    expect(warnings.join('\n')).toContain('k8s-tracker-maintenance-window');
  });

  describe('rejects', () => {
    it('an mlflowVersion the image does not carry', () => {
      expectValidationError(() => synth((scope) => { build(scope, { mlflowVersion: '2.16.2' }); }), 'ExperimentTracker', { path: 'mlflowVersion', message: /image's tag/ });
    });

    it.each(['ghcr.io/acme/mlflow:v2.22.1', 'ghcr.io/acme/mlflow:2.22.1'])('mlflowVersion 2.2 with the image %s (2.22 is not 2.2)', (mlflowImage) => {
      expectValidationError(() => synth((scope) => { build(scope, { mlflowVersion: '2.2', mlflowImage }); }), 'ExperimentTracker', { path: 'mlflowVersion', message: /image's tag/ });
    });

    it('a tracker of its own without an MLflow image', () => {
      expectValidationError(() => synth((scope) => { build(scope, { mlflowImage: undefined }); }), 'ExperimentTracker', { path: 'mlflowImage' });
    });

    it('a name too long for the objects and labels derived from it', () => {
      expectValidationError(() => synth((scope) => { build(scope, { name: `t${'x'.repeat(60)}` }); }), 'ExperimentTracker', { path: 'name', message: /too long/ });
    });

    it('an unknown size', () => {
      expectValidationError(() => synth((scope) => { build(scope, { size: 'Huge' as never }); }), 'ExperimentTracker', { path: 'size' });
    });
  });
});
