/**
 * The SageMaker-provided analyzer images (Model Monitor, Clarify) by region: every region the
 * catalog knows gives a pipeline check step and a drift monitor the same image, and synthesizes.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ClarifyCheckStep, MlPipeline, QualityCheckStep } from '../../../constructs/aws';
import { monitoringImageRegions, monitoringImageUri } from '../../../constructs/aws/private/monitoring-images';
import { ACCOUNT } from './helpers';
import { definitionOf, stepOf } from './pipeline-schema';

/** A pipeline of one quality check and one Clarify check (when the region has each image), in a stack of `region`. */
function checksIn(region: string, kinds: { modelMonitor: boolean; clarify: boolean }): MlPipeline {
  const stack = new Stack(new App(), 'Stack', { env: { account: ACCOUNT, region } });
  const steps = [
    ...(kinds.modelMonitor ? [new QualityCheckStep({ name: 'Quality', baselineDataset: 's3://data-bucket/train' })] : []),
    ...(kinds.clarify ? [new ClarifyCheckStep({ name: 'Bias', checkType: 'DATA_BIAS', analysisConfigUri: 's3://config-bucket/analysis.json', dataset: 's3://data-bucket/train' })] : []),
  ];
  return new MlPipeline(stack, 'Pipeline', { pipelineName: 'checks', steps });
}

const imageOf = (definition: object, step: string): string =>
  (stepOf(definition, step).Arguments as { AppSpecification: { ImageUri: string } }).AppSpecification.ImageUri;

const modelMonitorRegions = monitoringImageRegions('modelMonitor');
const clarifyRegions = monitoringImageRegions('clarify');
const allRegions = [...new Set([...modelMonitorRegions, ...clarifyRegions])].sort();

describe('analyzer images by region', () => {
  it('knows the regions the SageMaker SDK and Developer Guide list, including the ones the pipeline alone used to miss', () => {
    expect(modelMonitorRegions).toHaveLength(20);
    expect(clarifyRegions).toHaveLength(25);
    expect(modelMonitorRegions).toEqual(expect.arrayContaining(['us-west-2', 'ap-northeast-1', 'cn-north-1']));
    expect(clarifyRegions).toEqual(expect.arrayContaining(['eu-west-1', 'us-west-2', 'eu-central-2']));
  });

  it('synthesizes a QualityCheckStep in us-west-2 with the Model Monitor analyzer of us-west-2, which the role may pull', () => {
    const template = Template.fromStack(Stack.of(checksIn('us-west-2', { modelMonitor: true, clarify: false })));
    expect(imageOf(definitionOf(template), 'Quality')).toBe('159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer');
    expect(JSON.stringify(template.toJSON())).toContain(':ecr:us-west-2:159807026194:repository/sagemaker-model-monitor-analyzer');
  });

  it('synthesizes a ClarifyCheckStep in eu-west-1 with the Clarify image of eu-west-1, which the role may pull', () => {
    const template = Template.fromStack(Stack.of(checksIn('eu-west-1', { modelMonitor: false, clarify: true })));
    expect(imageOf(definitionOf(template), 'Bias')).toBe('131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0');
    expect(JSON.stringify(template.toJSON())).toContain(':ecr:eu-west-1:131013547314:repository/sagemaker-clarify-processing');
  });

  it.each(allRegions)('renders the check steps of every image %s has, with the image a drift monitor there uses', (region) => {
    const kinds = { modelMonitor: modelMonitorRegions.includes(region), clarify: clarifyRegions.includes(region) };
    const definition = checksIn(region, kinds).renderDefinition();
    const host = region.startsWith('cn-') ? `dkr.ecr.${region}.amazonaws.com.cn` : `dkr.ecr.${region}.amazonaws.com`;
    if (kinds.modelMonitor) {
      expect(imageOf(definition, 'Quality')).toMatch(new RegExp(`^\\d{12}\\.${host.replace(/\./g, '\\.')}/sagemaker-model-monitor-analyzer$`));
      expect(imageOf(definition, 'Quality')).toBe(monitoringImageUri('modelMonitor', region));
    }
    if (kinds.clarify) {
      expect(imageOf(definition, 'Bias')).toMatch(new RegExp(`^\\d{12}\\.${host.replace(/\./g, '\\.')}/sagemaker-clarify-processing:1\\.0$`));
      expect(imageOf(definition, 'Bias')).toBe(monitoringImageUri('clarify', region));
    }
    expect(kinds.modelMonitor || kinds.clarify).toBe(true);
  });
});
