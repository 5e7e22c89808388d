/**
 * The MLOps rule pack as a cdk-nag v3 validation plugin: `Validations.of(app).addPlugins(new
 * MlopsChecks(app))`, acknowledged like any cdk-nag rule with `Validations.of(construct).acknowledge({
 * id: 'MLOps-NetworkIsolation', reason })`. The rules themselves are pure functions over the
 * synthesized resource (lib/governance/rules.ts), so the audit report runs exactly the same checks.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { CfnResource as CfnResourceJson, evaluateResource, GovernanceLevel, MLOPS_PACK, MLOPS_RULES, RuleContext } from '../../lib/governance';

export interface MlopsChecksProps extends NagPackProps {
  /**
   * The level resources are held to where no platform governance applies (see {@link MlopsChecks.govern}).
   * @default 'baseline'
   */
  readonly level?: GovernanceLevel;
  /**
   * Tag keys every taggable resource must carry, where no platform governance applies.
   * @default - none
   */
  readonly requiredTags?: string[];
}

const governed = new WeakMap<IConstruct, RuleContext>();

/** The MLOps pack: SageMaker encryption, isolation, inter-container encryption, registry and feature store exposure, IAM, resilience, tags. */
export class MlopsChecks extends NagPack {
  /** Holds every resource under `scope` to a governance level and required tags (AwsPlatform calls it). */
  public static govern(scope: IConstruct, context: RuleContext): void {
    governed.set(scope, context);
  }

  /** The governance that applies to a construct: the nearest governed ancestor's. */
  public static governanceOf(construct: IConstruct): RuleContext | undefined {
    for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
      const found = governed.get(c);
      if (found) return found;
    }
    return undefined;
  }

  public readonly name = MLOPS_PACK;
  public readonly ruleIds = MLOPS_RULES.map((r) => `${MLOPS_PACK}-${r.id}`);
  private readonly defaults: RuleContext;

  constructor(scope?: IConstruct, props: MlopsChecksProps = {}) {
    super(scope, props);
    this.packName = MLOPS_PACK;
    this.defaults = { level: props.level ?? 'baseline', requiredTags: props.requiredTags ?? [] };
  }

  protected checkResource(node: CfnResource): void {
    const context = MlopsChecks.governanceOf(node) ?? this.defaults;
    let json: CfnResourceJson;
    try {
      json = toJson(node);
    } catch {
      return; // a resource CDK itself cannot render fails synth on its own, with CDK's message
    }
    for (const { rule, result } of evaluateResource(json, context)) {
      this.applyRule({
        ruleSuffixOverride: rule.id,
        info: result.status === 'non-compliant' ? `${rule.info} Found: ${result.findings.join('; ')}.` : rule.info,
        explanation: rule.explanation,
        level: rule.level === 'error' ? NagMessageLevel.ERROR : NagMessageLevel.WARN,
        node,
        rule: () => (result.status === 'non-compliant' ? NagRuleCompliance.NON_COMPLIANT : result.status === 'compliant' ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NOT_APPLICABLE),
      });
    }
  }
}

/** The resource as its template will hold it (tokens resolved to intrinsics, tags rendered). */
export function toJson(node: CfnResource): CfnResourceJson {
  // _toCloudFormation is how CDK renders a resource into its template; resolving it gives the template's JSON.
  const rendered = (node as unknown as { _toCloudFormation(): { Resources: Record<string, CfnResourceJson> } })._toCloudFormation();
  const resolved = Stack.of(node).resolve(rendered) as { Resources: Record<string, CfnResourceJson> };
  return Object.values(resolved.Resources)[0];
}
