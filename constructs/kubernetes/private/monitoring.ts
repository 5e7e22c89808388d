/**
 * What every Prometheus and Grafana object of the Kubernetes target is built from, so the platform's
 * alerts, scrape configurations and dashboards follow one set of conventions:
 * - alerts: `Mlops<What>` names, `severity`/`platform`/`model` labels, `summary`/`description`
 *   annotations and, when the platform names a runbook site, `runbook_url: <base>/<alert>`;
 * - PrometheusRules, PodMonitors and ServiceMonitors (monitoring.coreos.com/v1) as the API objects
 *   kubernetes_manifest applies, in the platform's CRD stack;
 * - Grafana dashboards (schemaVersion 39) whose panels read a `datasource` variable, laid out on
 *   Grafana's 24-column grid, as ConfigMaps Grafana's sidecar loads.
 */

/** A PromQL string literal (double-quoted, escaped as JSON escapes: PromQL accepts the same escapes). */
export const q = (s: string): string => JSON.stringify(s);
/** `s` as a literal inside a PromQL (RE2) regular expression. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Seconds as a Prometheus duration ('90s', '5m', '2h'). */
export function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The alerting conventions of one platform. */
export interface AlertContext {
  readonly platform: string;
  readonly model: string;
  /** `runbook_url` is `<runbookBaseUrl>/<alert>`. @default - no runbook_url */
  readonly runbookBaseUrl?: string;
}

export interface AlertInput {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition holds before the alert fires. */
  readonly for: string;
  /** How long the alert keeps firing after the condition clears. @default - it resolves at once */
  readonly keepFiringFor?: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
  readonly labels?: Record<string, string>;
}

/** One alerting rule with the platform's labels and annotations. */
export function alertRule(c: AlertContext, a: AlertInput): Record<string, unknown> {
  return {
    alert: a.alert,
    expr: a.expr,
    for: a.for,
    ...(a.keepFiringFor ? { keep_firing_for: a.keepFiringFor } : {}),
    labels: { severity: a.severity, model: c.model, platform: c.platform, ...a.labels },
    annotations: {
      summary: a.summary,
      description: a.description,
      ...(c.runbookBaseUrl ? { runbook_url: `${c.runbookBaseUrl.replace(/\/+$/, '')}/${a.alert}` } : {}),
    },
  };
}

/** A PrometheusRule (monitoring.coreos.com/v1) of one group. */
export function prometheusRule(o: { name: string; namespace: string; labels: Record<string, string>; group: string; rules: Record<string, unknown>[] }): Record<string, unknown> {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { groups: [{ name: o.group, rules: o.rules }] },
  };
}

export interface MonitorInput {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The pods (PodMonitor) or Services (ServiceMonitor) scraped. */
  readonly selector: Record<string, string>;
  /** The named port scraped (a container port for a PodMonitor, a Service port for a ServiceMonitor). */
  readonly port: string;
  readonly path?: string;
  readonly intervalSeconds?: number;
}

/**
 * A PodMonitor (one named container port of the selected pods) or a ServiceMonitor (one named port of
 * the selected Services), monitoring.coreos.com/v1, scraping in the object's own namespace.
 */
function monitor(kind: 'PodMonitor' | 'ServiceMonitor', o: MonitorInput): Record<string, unknown> {
  const endpoint = { port: o.port, path: o.path ?? '/metrics', interval: `${o.intervalSeconds ?? 30}s` };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind,
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      selector: { matchLabels: o.selector },
      namespaceSelector: { matchNames: [o.namespace] },
      [kind === 'PodMonitor' ? 'podMetricsEndpoints' : 'endpoints']: [endpoint],
    },
  };
}

export const podMonitor = (o: MonitorInput): Record<string, unknown> => monitor('PodMonitor', o);
export const serviceMonitor = (o: MonitorInput): Record<string, unknown> => monitor('ServiceMonitor', o);

// --- Grafana dashboards ----------------------------------------------------------------------

/** A time series or stat panel: its PromQL queries, one legend each. */
export interface PanelInput {
  readonly title: string;
  readonly type?: 'timeseries' | 'stat';
  readonly unit?: string;
  readonly description?: string;
  readonly targets: readonly { readonly expr: string; readonly legend: string }[];
}

/** The Prometheus datasource every panel reads: a dashboard variable, so the dashboard works with any datasource name. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const GRID_COLUMNS = 24;
const PANEL_HEIGHT = 8;

/**
 * A Grafana dashboard (schemaVersion 39): rows of panels, two to a row, each with a unique id and
 * a place on the 24-column grid; the Prometheus datasource is the `datasource` variable.
 */
export function grafanaDashboard(o: { uid: string; title: string; tags: readonly string[]; rows: readonly { title: string; panels: readonly PanelInput[] }[]; description?: string }): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of o.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y }, panels: [] });
    y += 1;
    const width = GRID_COLUMNS / Math.min(2, row.panels.length);
    row.panels.forEach((p, i) => {
      panels.push({
        id: id++,
        type: p.type ?? 'timeseries',
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        datasource: DATASOURCE,
        gridPos: { h: PANEL_HEIGHT, w: width, x: (i % 2) * width, y: y + Math.floor(i / 2) * PANEL_HEIGHT },
        fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
        options: {},
        targets: p.targets.map((t, k) => ({ refId: String.fromCharCode(65 + k), datasource: DATASOURCE, expr: t.expr, legendFormat: t.legend })),
      });
    });
    y += Math.ceil(row.panels.length / 2) * PANEL_HEIGHT;
  }
  return {
    uid: o.uid,
    title: o.title,
    ...(o.description ? { description: o.description } : {}),
    tags: [...o.tags],
    schemaVersion: 39,
    version: 1,
    editable: false,
    timezone: 'utc',
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }] },
    annotations: { list: [] },
    panels,
  };
}

/** Grafana dashboard uids are at most 40 characters: a long name keeps its start and a hash of the whole. */
export function dashboardUid(name: string, hash: (s: string) => string): string {
  return name.length <= 40 ? name : `${name.slice(0, 31)}-${hash(name).slice(0, 8)}`;
}
