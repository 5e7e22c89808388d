import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { errorOf } from './errors';
import { JOBSET_POD_NAME_MAX, loadPlatformSpec, longestTrainingPodName, parsePlatformSpec, PlatformSpecInput, versionAtLeast } from '../../../lib/spec';
import { referencePlatform } from '../../../stacks/reference-platform';

const [llm, churn, router] = referencePlatform.models;
const withVersions = (versions: Record<string, string>): PlatformSpecInput => ({ ...referencePlatform, kubernetes: { ...referencePlatform.kubernetes, versions } });
const renamed = (name: string): PlatformSpecInput => ({ ...referencePlatform, models: [{ ...llm, name }, churn, router] });

describe('PlatformSpec on Kubernetes: controller versions', () => {
  it('accepts the minimum versions and newer ones', () => {
    expect(() => parsePlatformSpec(withVersions({ argoWorkflows: '3.6.0', kueue: 'v0.15.2', trainer: '2.3.0' }))).not.toThrow();
    expect(() => parsePlatformSpec(withVersions({ argoWorkflows: '4.1.2', kueue: '1.0', trainer: 'v2.2.1' }))).not.toThrow();
  });

  it.each([
    ['argoWorkflows', '3.5.8', /CronWorkflow 'schedules'/],
    ['kueue', '0.14.1', /v1beta2/],
    ['trainer', '2.1.0', /runtimePatches/],
  ])('rejects %s %s, older than what the platform uses', (key, version, message) => {
    const err = errorOf(() => parsePlatformSpec(withVersions({ [key]: version })));
    expect(err.issues).toEqual([expect.objectContaining({ path: `kubernetes.versions.${key}`, message: expect.stringMatching(message) })]);
  });

  it('does not hold a platform to a controller it does not use: no training cluster, no Kueue check', () => {
    expect(() => parsePlatformSpec({ ...withVersions({ kueue: '0.10.0' }), trainingClusters: [] })).not.toThrow();
  });

  it('compares major and minor numerically', () => {
    expect(versionAtLeast('3.10.0', [3, 6])).toBe(true);
    expect(versionAtLeast('0.9.9', [0, 15])).toBe(false);
  });
});

describe('PlatformSpec on Kubernetes: names JobSet derives from a model name', () => {
  it("computes the longest training pod name of a run: '<model>-pipeline-<drift retraining suffix>-node-0-<last node>-<random>'", () => {
    expect(longestTrainingPodName('support-assistant', 2)).toBe('support-assistant-pipeline-retrain-abcde-node-0-1-abcde');
  });

  it('accepts the longest name whose pod names fit 63 characters, and rejects one character more at models[i].name', () => {
    const fits = 'a'.repeat(JOBSET_POD_NAME_MAX - longestTrainingPodName('', 2).length);
    expect(() => parsePlatformSpec(renamed(fits))).not.toThrow();
    const err = errorOf(() => parsePlatformSpec(renamed(`${fits}b`)));
    expect(err.issues).toEqual([expect.objectContaining({ path: 'models[0].name', message: expect.stringContaining('JobSet names the training pods after it') })]);
    expect(err.message).toContain(`at most ${fits.length} characters`);
  });

  it('leaves a long name alone on a platform without a kubernetes section, and for single-node training', () => {
    const long = 'a'.repeat(40);
    expect(() => parsePlatformSpec({ ...renamed(long), kubernetes: undefined })).not.toThrow();
    expect(() => parsePlatformSpec({ ...referencePlatform, models: [llm, { ...churn, name: long }, router] })).not.toThrow();
  });
});

describe('loadPlatformSpec', () => {
  it('reads train.entryPoint.sourceDir relative to the spec file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-spec-'));
    try {
      const file = path.join(dir, 'platform.yaml');
      fs.writeFileSync(file, stringify(referencePlatform));
      const loaded = loadPlatformSpec(file);
      expect(loaded.models[0].pipeline!.train.entryPoint!.sourceDir).toBe(path.join(dir, 'examples', 'code', 'support-assistant'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
