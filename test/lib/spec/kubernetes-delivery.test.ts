/**
 * Delivery (stages, a model following the registry's approvals) is AWS-only: a spec rendered on
 * Kubernetes that asks for it is refused with one message naming the field.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { EXIT } from '../../../bin/mlops';
import { MlopsValidationError } from '../../../lib/errors';
import { loadPlatformSpec, parsePlatformSpecFor, PlatformSpecInput } from '../../../lib/spec';
import { synthKubernetesPlatform } from '../../../stacks/kubernetes/synth';
import { runMlops } from '../../bin/cli';

const kubernetesSpec = loadPlatformSpec(path.join(__dirname, '../../../examples/kubernetes.yaml'));
const DELIVERY = { stages: [{ name: 'staging', approval: 'auto', bakeMinutes: 30 }, { name: 'prod', account: '444455556666', region: 'eu-west-1', approval: 'manual', bakeMinutes: 60 }] };

function thrown(f: () => unknown): MlopsValidationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MlopsValidationError);
    return e as MlopsValidationError;
  }
  throw new Error('expected an MlopsValidationError');
}

describe('delivery on the kubernetes target', () => {
  it('refuses delivery.stages, naming the field and the Kubernetes equivalent', () => {
    const e = thrown(() => parsePlatformSpecFor('kubernetes', { ...kubernetesSpec, delivery: DELIVERY }));
    expect(e.issues).toEqual([expect.objectContaining({ path: 'delivery', message: expect.stringMatching(/^is AWS-only/), expected: expect.stringContaining('MLflow model version alias per stage') })]);
  });

  it("refuses a model following the registry ('latest-approved'), naming the model's field", () => {
    const input = { ...kubernetesSpec, models: kubernetesSpec.models.map((m, i) => (i === 0 ? { ...m, source: { registryVersion: 'latest-approved' } } : m)) } as unknown as PlatformSpecInput;
    const e = thrown(() => parsePlatformSpecFor('all', input));
    expect(e.issues.map((i) => [i.path, i.got])).toEqual([['models[0].source.registryVersion', "'latest-approved'"]]);
  });

  it('is refused by the Kubernetes renderer too, before anything is rendered', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-delivery-out-'));
    try {
      const e = thrown(() => synthKubernetesPlatform({ ...kubernetesSpec, delivery: DELIVERY } as PlatformSpecInput, path.join(out, 'cdktf.out')));
      expect(e.issues.map((i) => i.path)).toEqual(['delivery']);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('accepts the spec without them', () => {
    expect(parsePlatformSpecFor('kubernetes', kubernetesSpec).name).toBe(kubernetesSpec.name);
  });

  it('mlops validate --target kubernetes exits 2 with one line naming delivery', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-delivery-'));
    try {
      const file = path.join(dir, 'platform.yaml');
      fs.writeFileSync(file, stringify({ ...kubernetesSpec, delivery: DELIVERY }));
      const r = await runMlops(['validate', '--config', file, '--target', 'kubernetes']);
      expect(r.code).toBe(EXIT.badInput);
      // One line naming the field. Until the spec has `delivery` (the delivery branch), the schema refuses
      // it as unknown before the target check; after, the target check refuses it as AWS-only (above).
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^error: PlatformSpec \(.*platform\.yaml\): delivery( \(line \d+\))?: is /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
