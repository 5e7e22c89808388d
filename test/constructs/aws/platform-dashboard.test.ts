import { App, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PlatformDashboard, PLATFORM_DASHBOARD_TOP, SEARCH_QUERY_MAX_CHARS } from '../../../constructs/aws/platform-dashboard';
import { AwsPlatform } from '../../../stacks/aws/platform';
import { referencePlatform } from '../../../stacks/reference-platform';
import { CfnResolver } from '../../stacks/aws/cfn-resolve';

interface Widget { type: string; properties: { markdown?: string; metrics?: unknown[][] } }

/** The dashboards of a stack, their bodies resolved as CloudFormation would in us-east-1. */
function dashboardBodies(app: App, stack: Stack): { body: string; widgets: Widget[] }[] {
  const assembly = app.synth();
  const resolver = new CfnResolver(assembly.stacks.map((s) => ({ stackName: s.stackName, template: s.template })), { account: '111122223333', region: 'us-east-1' });
  return resolver.resourcesOfType('AWS::CloudWatch::Dashboard').filter((d) => d.stackName === stack.stackName).map((d) => {
    const body = d.properties.DashboardBody as string;
    return { body, widgets: JSON.parse(body).widgets as Widget[] };
  });
}

/** Every expression of the dashboard's metric widgets. */
function expressions(widgets: Widget[]): string[] {
  return widgets.flatMap((w) => (w.properties.metrics ?? []).map((m) => (m[0] as { expression?: string }).expression).filter((e): e is string => e !== undefined));
}

/** The queries of the SEARCH(...) calls in an expression. */
const searchQueries = (expression: string) => [...expression.matchAll(/SEARCH\('(.*?)', '/g)].map((m) => m[1]);

describe('PlatformDashboard', () => {
  describe('on the reference platform', () => {
    const app = new App();
    const platform = new AwsPlatform(app, 'Platform', { spec: referencePlatform });
    const [dashboard, ...others] = dashboardBodies(app, platform.shared);
    const endpointNames = [...platform.models.values()].flatMap((m) => m.endpoint?.endpointName ?? []);

    it("scopes to a delivered model's stage endpoints in the platform's own account and region", () => {
      const sameAccount = new App();
      const p = new AwsPlatform(sameAccount, 'Platform', { spec: { ...referencePlatform, delivery: { stages: [{ name: 'staging' }, { name: 'prod', approval: 'manual' }] } } });
      const staged = [...p.stages.values()].flat().map((st) => st.endpoint.endpointName);
      expect(staged).toHaveLength(2);
      const [body] = dashboardBodies(sameAccount, p.shared);
      const queries = expressions(body.widgets).flatMap(searchQueries);
      for (const name of staged) expect(queries.every((q) => q.includes(`"${name}"`))).toBe(true);
    });

    it('renders one dashboard in the shared stack, scoped to the endpoints of the platform by exact name', () => {
      expect(others).toEqual([]);
      expect(platform.dashboard.scopedToPlatform).toBe(true);
      const queries = expressions(dashboard.widgets).flatMap(searchQueries);
      expect(queries.length).toBeGreaterThanOrEqual(8);
      // The support assistant is delivered to stages in other accounts: its endpoints are not the platform account's.
      expect(endpointNames).toHaveLength(2);
      expect([...platform.stages.values()].flat().map((st) => st.account)).toEqual(['222233334444', '555566667777']);
      for (const name of endpointNames) expect(queries.every((q) => q.includes(`"${name}"`))).toBe(true);
      expect(queries).toContainEqual(expect.stringMatching(/^\{AWS\/SageMaker,EndpointName,VariantName\} MetricName="Invocation5XXErrors" EndpointName=\(/));
      expect(queries).toContainEqual(expect.stringMatching(/^\{"aws\/sagemaker\/Endpoints\/data-metrics",Endpoint,MonitoringSchedule\} MetricName=feature_baseline_drift Endpoint=\(/));
      expect(queries.every((q) => q.length <= SEARCH_QUERY_MAX_CHARS)).toBe(true);
    });

    it('keeps the worst ten series of each graph and sums the platform totals', () => {
      const all = expressions(dashboard.widgets);
      expect(all).toContainEqual(expect.stringMatching(new RegExp(`^SORT\\(SEARCH\\('.*MetricName="Invocation5XXErrors".*', 'Sum', 300\\), SUM, DESC, ${PLATFORM_DASHBOARD_TOP}\\)$`)));
      expect(all).toContainEqual(expect.stringMatching(/^SUM\(SEARCH\('.*MetricName="Invocations".*', 'Sum', 300\)\)$/));
      expect(all).toContainEqual(expect.stringMatching(/^SORT\(SEARCH\('.*MetricName="ModelLatency".*', 'p99', 300\), MAX, DESC, 10\)$/));
    });

    it('references no other stack: the endpoint names are literals, never exports', () => {
      const shared = Template.fromStack(platform.shared).toJSON();
      const dashboards = Object.values(shared.Resources as Record<string, { Type: string }>).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      expect(JSON.stringify(dashboards)).not.toContain('Fn::ImportValue');
      for (const model of platform.models.values()) expect(Template.fromStack(model).toJSON().Outputs ?? {}).toEqual({});
    });
  });

  describe('on a large platform', () => {
    function bodyOf(names: string[]): string {
      const app = new App();
      const stack = new Stack(app, 'Shared', { env: { account: '111122223333', region: 'us-east-1' } });
      const d = new PlatformDashboard(stack, 'Dashboard', { platformName: 'big', endpointNames: names });
      expect(d.scopedToPlatform).toBe(false);
      return dashboardBodies(app, stack)[0].body;
    }
    const names = (n: number) => Array.from({ length: n }, (_, i) => `bigmodel${i}-Endpoint-0123ABCD`);

    it('searches every endpoint of the account and region once the names no longer fit in a query, and says so', () => {
      const body = bodyOf(names(40));
      expect(JSON.parse(body).widgets[0].properties.markdown).toContain('every SageMaker endpoint of this account and region');
      expect(body).not.toContain('bigmodel');
    });

    it('does not grow with the number of models', () => {
      // The same body but for the count in the header.
      const large = bodyOf(names(1000));
      expect(large.replace("platform's 1000 endpoint", "platform's 40 endpoint")).toBe(bodyOf(names(40)));
      expect(Buffer.byteLength(large)).toBeLessThan(8 * 1024);
    });
  });

  it('leaves out a name only known at deploy time, with a warning', () => {
    const stack = new Stack(new App(), 'S');
    const d = new PlatformDashboard(stack, 'Dashboard', { platformName: 'p', endpointNames: ['known-Endpoint-1', Token.asString({ Ref: 'Elsewhere' })] });
    expect(d.scopedToPlatform).toBe(true);
    Annotations.fromStack(stack).hasWarning('/S/Dashboard', Match.stringLikeRegexp('1 endpoint name\\(s\\) are only known at deploy time.*cdk-mlops:dashboardEndpointUnresolved'));
  });
});
