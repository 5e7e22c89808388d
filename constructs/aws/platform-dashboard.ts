import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { MlopsValidationError } from '../../lib/errors';
import { DATA_METRICS_NAMESPACE, MODEL_METRICS_NAMESPACE } from './drift-monitor';
import { physicalNameIssue, subjectOf } from './private/validation';

/** CloudWatch refuses a search expression's query longer than this. */
export const SEARCH_QUERY_MAX_CHARS = 1024;
/** How many series each graph keeps: the worst ones, whatever the number of models. */
export const PLATFORM_DASHBOARD_TOP = 10;

export interface PlatformDashboardProps {
  /** The platform's name, in the dashboard's title. */
  readonly platformName: string;
  /**
   * The endpoints the dashboard covers, by name. Names must be known at synth (the platform's are):
   * an unresolved one would become a cross-stack export per model, and is left out with a warning.
   */
  readonly endpointNames: readonly string[];
  /** @default - named by CloudFormation */
  readonly dashboardName?: string;
}

/**
 * One dashboard across a platform's models, beside each endpoint's own: traffic, errors and latency
 * of the ten worst endpoints, the platform's totals, and the drift and model-quality metrics Model
 * Monitor publishes.
 *
 * Its size does not grow with the number of models: every graph is a CloudWatch search expression
 * (`SEARCH(...)`, evaluated when the dashboard is viewed), never one metric per endpoint, so a platform
 * of 1,000 models neither approaches the dashboard's 500 widgets nor the template's 1 MB, and the
 * dashboard references no other stack (names are literals, never exports). A search returns at most
 * 500 series; `SORT(..., DESC, 10)` keeps the worst ten of them.
 *
 * The search is scoped to the platform's endpoints by their exact names while the list fits in a
 * search query (1,024 characters, about 20 endpoints); a larger platform's graphs cover every SageMaker
 * endpoint of the account and region, which the dashboard says in its header.
 */
export class PlatformDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Whether the graphs cover exactly the platform's endpoints (false: every endpoint of the account and region). */
  public readonly scopedToPlatform: boolean;

  private readonly endpointFilter: string;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    const badName = physicalNameIssue('dashboardName', props.dashboardName, 'dashboard');
    if (badName) throw new MlopsValidationError(subjectOf('PlatformDashboard', scope, id), [badName]);
    super(scope, id);
    const names = props.endpointNames.filter((name) => !Token.isUnresolved(name));
    if (names.length < props.endpointNames.length) {
      Annotations.of(this).addWarningV2('cdk-mlops:dashboardEndpointUnresolved', `${props.endpointNames.length - names.length} endpoint name(s) are only known at deploy time and are left out of the platform dashboard's scope.`);
    }
    this.endpointFilter = endpointFilter('EndpointName', names);
    this.scopedToPlatform = this.endpointFilter !== '' && fitsSearch(this.searchQuery('AWS/SageMaker', ['EndpointName', 'VariantName'], 'Invocation5XXErrors'));
    if (!this.scopedToPlatform) this.endpointFilter = '';
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', { dashboardName: props.dashboardName, defaultInterval: Duration.hours(12) });
    this.renderHeader(props.platformName, names.length);
    this.renderServing();
    this.renderMonitoring();
  }

  private renderHeader(platformName: string, endpoints: number): void {
    const scope = this.scopedToPlatform
      ? `its ${endpoints} endpoint(s)`
      : `every SageMaker endpoint of this account and region (the platform's ${endpoints} endpoint names do not fit in one search query)`;
    this.dashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# Platform ${platformName}\nThe ${PLATFORM_DASHBOARD_TOP} worst series of ${scope}; each endpoint has its own dashboard, and each monitor its silence alarm.`,
      width: 24,
      height: 2,
    }));
  }

  private renderServing(): void {
    const endpoints = ['EndpointName', 'VariantName'];
    const period = Duration.minutes(5);
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Requests and failures (platform total, 5 min)',
        metrics: [
          this.expression(`SUM(${this.search('AWS/SageMaker', endpoints, 'Invocations', 'Sum', period)})`, 'Invocations', period),
          this.expression(`SUM(${this.search('AWS/SageMaker', endpoints, 'Invocation5XXErrors', 'Sum', period)})`, '5XX', period),
          this.expression(`SUM(${this.search('AWS/SageMaker', endpoints, 'Invocation4XXErrors', 'Sum', period)})`, '4XX', period),
        ],
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      this.topGraph('Invocations (busiest)', 'AWS/SageMaker', endpoints, 'Invocations', 'Sum', period),
      this.topGraph('5XX errors (most)', 'AWS/SageMaker', endpoints, 'Invocation5XXErrors', 'Sum', period),
      this.topGraph('4XX errors (most)', 'AWS/SageMaker', endpoints, 'Invocation4XXErrors', 'Sum', period),
      this.topGraph('Model latency p99, µs (slowest)', 'AWS/SageMaker', endpoints, 'ModelLatency', 'p99', period, 'MAX'),
    );
  }

  private renderMonitoring(): void {
    const monitors = ['Endpoint', 'MonitoringSchedule'];
    const hour = Duration.hours(1);
    this.dashboard.addWidgets(
      this.topGraph('Feature drift from baseline (largest)', DATA_METRICS_NAMESPACE, monitors, 'feature_baseline_drift', 'Maximum', hour, 'MAX', 12),
      // Model-quality metrics mix directions (auc up, rmse down): all of them, not a "worst ten".
      new cloudwatch.GraphWidget({
        title: 'Model quality (Model Monitor)',
        left: [this.expression(this.search(MODEL_METRICS_NAMESPACE, monitors, undefined, 'Average', hour), '', hour)],
        width: 12,
        height: 6,
        legendPosition: cloudwatch.LegendPosition.RIGHT,
      }),
    );
  }

  /** The `PLATFORM_DASHBOARD_TOP` series of a search with the largest `order` over the time range. */
  private topGraph(title: string, namespace: string, dimensions: string[], metricName: string | undefined, statistic: string, period: Duration, order = 'SUM', width = 6): cloudwatch.GraphWidget {
    const search = this.search(namespace, dimensions, metricName, statistic, period);
    return new cloudwatch.GraphWidget({
      title,
      left: [this.expression(`SORT(${search}, ${order}, DESC, ${PLATFORM_DASHBOARD_TOP})`, '', period)],
      width,
      height: 6,
      legendPosition: cloudwatch.LegendPosition.RIGHT,
    });
  }

  private expression(expression: string, label: string, period: Duration): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({ expression, usingMetrics: {}, label, period });
  }

  private search(namespace: string, dimensions: string[], metricName: string | undefined, statistic: string, period: Duration): string {
    return `SEARCH('${this.searchQuery(namespace, dimensions, metricName)}', '${statistic}', ${period.toSeconds()})`;
  }

  /**
   * `{namespace,dimensions} [MetricName] [endpoint filter]`. A metric family is matched unquoted, as
   * a partial term (`MetricName=feature_baseline_drift` covers `feature_baseline_drift_<feature>`).
   */
  private searchQuery(namespace: string, dimensions: string[], metricName: string | undefined): string {
    // A namespace with characters other than letters, digits and `/` is quoted.
    const schema = `{${/^[A-Za-z0-9/]+$/.test(namespace) ? namespace : `"${namespace}"`},${dimensions.join(',')}}`;
    const metric = metricName === undefined ? '' : metricName.startsWith('feature_') ? ` MetricName=${metricName}` : ` MetricName="${metricName}"`;
    const filter = this.endpointFilter && dimensions[0] !== 'EndpointName' ? this.endpointFilter.replace(/^EndpointName=/, `${dimensions[0]}=`) : this.endpointFilter;
    return `${schema}${metric}${filter ? ` ${filter}` : ''}`;
  }
}

/** `Dimension=("a" OR "b")`, exact matches; '' for no names. */
function endpointFilter(dimension: string, names: readonly string[]): string {
  return names.length === 0 ? '' : `${dimension}=(${names.map((n) => `"${n}"`).join(' OR ')})`;
}

function fitsSearch(query: string): boolean {
  return query.length <= SEARCH_QUERY_MAX_CHARS;
}
