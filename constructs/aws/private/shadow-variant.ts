/**
 * The shadow variant of a ModelEndpoint (EndpointConfig ShadowProductionVariants): its own model
 * (same execution role, isolation and VPC placement as production), and a variant whose weight,
 * relative to the production variant's 1, is the share of production requests SageMaker copies to
 * it. SageMaker allows one production and one shadow variant in such a config; the endpoint's data
 * capture covers both, each under its own variant folder (`<prefix>/<endpoint>/<variant>/...`).
 */
import { CfnDeletionPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { EndpointSpec, ResolvedCompute } from '../../../lib/spec';
import { ModelSource } from '../model-source';
import { ExecutionRole, WildcardJustification } from './execution-role';
import { isComputeIntent, pinResolvedCompute } from './pinned-compute';

export type ShadowSpec = NonNullable<EndpointSpec['shadow']>;

export interface ShadowVariantProps {
  readonly spec: ShadowSpec;
  /** The shadow's compute as written (to know whether it is an intent to pin). */
  readonly computeInput: unknown;
  readonly productionCompute: ResolvedCompute;
  readonly source: ModelSource;
  readonly execution: ExecutionRole;
  readonly roleArn: string;
  readonly networkIsolation: boolean;
  readonly vpcConfig?: sagemaker.CfnModel.VpcConfigProperty;
  readonly environment: Record<string, string>;
}

export class ShadowVariant extends Construct {
  public readonly model: sagemaker.CfnModel;
  public readonly compute: ResolvedCompute;
  public readonly variantName: string;
  public readonly sourceDescription: string;
  public readonly wildcardJustifications: WildcardJustification[];
  private readonly spec: ShadowSpec;

  constructor(scope: Construct, id: string, props: ShadowVariantProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;
    const compute = spec.compute ?? props.productionCompute;
    this.compute = spec.compute && isComputeIntent(props.computeInput) ? pinResolvedCompute('ModelEndpoint', this, compute, 'inference') : compute;
    this.variantName = spec.variantName;
    const bound = props.source.bind(this, new ShadowGrantee(props.execution.grantee));
    this.sourceDescription = bound.description;
    this.wildcardJustifications = bound.wildcardJustifications;
    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: props.roleArn,
      primaryContainer: { ...bound.container, environment: Object.keys(props.environment).length > 0 ? props.environment : undefined },
      enableNetworkIsolation: props.networkIsolation,
      vpcConfig: props.vpcConfig,
    });
    this.model.node.addDependency(...props.execution.dependable);
    // Like the production model: a replaced shadow model is kept for `mlops rollback`.
    this.model.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    this.model.cfnOptions.deletionPolicy = CfnDeletionPolicy.DELETE;
  }

  /**
   * The ShadowProductionVariants entry: sampling percentage as a weight relative to the production variant's 1.
   *
   * What the sources say: ProductionVariant.InitialVariantWeight (API reference) splits traffic by the
   * ratio of weights; the developer guide's shadow variant example ("Shadow variants",
   * model-shadow-deployment) gives production and shadow weight 1 each, i.e. every request copied;
   * an inference experiment's SamplingPercentage (ShadowModelVariantConfig) is "the percentage of
   * inference requests that SageMaker replicates from the production variant to the shadow variant".
   * No AWS page states the shadow weight's rule outright: weight / production weight as the copied
   * share is inferred from those, and is what `mlops variants` reads back (lib/ops/variants.ts).
   */
  public variant(): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
    if (this.compute.kind !== 'instance') throw new Error('internal: a shadow variant runs on instances (the spec rejects serverless)');
    return {
      variantName: this.variantName,
      modelName: this.model.attrModelName,
      instanceType: this.compute.instanceType,
      initialInstanceCount: this.spec.instances,
      initialVariantWeight: this.spec.samplingPercent / 100,
    };
  }
}

/**
 * The execution role as the shadow's source sees it: its statements get a `Shadow` prefix to their
 * ids, since IAM requires statement ids unique within a policy and both sources grant under the same ids.
 */
class ShadowGrantee implements iam.IGrantable {
  public readonly grantPrincipal: iam.IPrincipal;
  constructor(inner: iam.IPrincipal) {
    this.grantPrincipal = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'addToPrincipalPolicy') {
          return (st: iam.PolicyStatement) => target.addToPrincipalPolicy(st.sid ? st.copy({ sid: `Shadow${st.sid}` }) : st);
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
  }
}
