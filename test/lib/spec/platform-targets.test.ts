import { parsePlatformSpec, platformTargets } from '../../../lib/spec';

const model = { name: 'm', source: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1' }, endpoint: { compute: { instanceType: 'ml.m5.large' } } };

describe('platformTargets', () => {
  it('renders a spec with only an aws section on AWS only', () => {
    expect(platformTargets({ name: 'p', aws: { region: 'us-east-1' }, models: [model] })).toEqual(['aws']);
  });

  it('renders a spec with only kubernetes sections (platform or endpoint level) on Kubernetes only', () => {
    expect(platformTargets({ name: 'p', kubernetes: { namespace: 'p' }, models: [model] })).toEqual(['kubernetes']);
    const k8sEndpoint = { ...model, endpoint: { ...model.endpoint, kubernetes: { image: 'ghcr.io/acme/m:1.0.0' } } };
    expect(platformTargets({ name: 'p', models: [k8sEndpoint] })).toEqual(['kubernetes']);
  });

  it('renders a spec with both sections on both, and one with neither on AWS', () => {
    expect(platformTargets({ name: 'p', aws: {}, kubernetes: {}, models: [model] })).toEqual(['aws', 'kubernetes']);
    expect(platformTargets({ name: 'p', models: [model] })).toEqual(['aws']);
  });

  it("follows the spec's own targets over its sections, in a fixed order", () => {
    expect(platformTargets({ name: 'p', aws: {}, targets: ['kubernetes', 'aws'], models: [model] })).toEqual(['aws', 'kubernetes']);
    expect(platformTargets({ name: 'p', aws: {}, kubernetes: {}, targets: ['kubernetes'], models: [model] })).toEqual(['kubernetes']);
  });

  it('rejects an unknown or empty targets list, naming the field', () => {
    expect(() => parsePlatformSpec({ name: 'p', targets: ['gcp'], models: [model] })).toThrow(/targets\[0\]/);
    expect(() => parsePlatformSpec({ name: 'p', targets: [], models: [model] })).toThrow(/targets/);
  });
});
