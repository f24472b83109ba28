// Source of dashboards/canary-overview.json, typed against @grafana/schema's dashboard model
// (so `tsc` checks it). Regenerate the JSON with: node manifests-microservices/observability/dashboards/canary-overview.ts > …json
// A test fails when the JSON and this source differ.
import type { Dashboard, Panel, VariableModel } from '@grafana/schema';

// biome-ignore lint/suspicious/noTemplateCurlyInString: ${datasource} is Grafana's variable syntax
const prometheus = { type: 'prometheus', uid: '${datasource}' };
/** Stable next to the selected PR canaries of the selected services. */
const selector = '{service=~"$service", track=~"stable|$pr"}';

function panel(id: number, title: string, expr: string, unit: string, gridPos: Panel['gridPos']): Panel {
  return {
    id,
    type: 'timeseries',
    title,
    datasource: prometheus,
    gridPos,
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: [{ refId: 'A', datasource: prometheus, expr, legendFormat: '{{service}} {{track}}' }],
  };
}

const queryVariable = (name: string, label: string, query: string, sort: number): VariableModel => ({
  name,
  label,
  type: 'query',
  datasource: prometheus,
  query: { query, refId: name },
  multi: true,
  includeAll: true,
  current: { text: ['All'], value: ['$__all'] },
  refresh: 2,
  sort,
  hide: 0,
  options: [],
  skipUrlSync: false,
});

export const canaryOverview: Dashboard = {
  uid: 'canary-overview',
  title: 'Canary overview: stable vs PR canaries',
  description:
    'Per service, each selected PR canary next to stable: rate, error ratio, p50/p95/p99 (recording rules from the canary PrometheusRule).',
  tags: ['canary'],
  timezone: 'browser',
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  refresh: '30s',
  time: { from: 'now-1h', to: 'now' },
  timepicker: {},
  fiscalYearStartMonth: 0,
  liveNow: false,
  links: [],
  annotations: { list: [] },
  templating: {
    list: [
      {
        name: 'datasource',
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        current: { text: 'Prometheus', value: 'prometheus' },
        hide: 0,
        refresh: 1,
        options: [],
        skipUrlSync: false,
      },
      queryVariable('service', 'Service', 'label_values(service_track:requests:rate1m, service)', 1),
      queryVariable(
        'pr',
        'PR canary',
        'label_values(service_track:requests:rate1m{track=~"pr-.+"}, track)',
        3,
      ),
    ],
  },
  panels: [
    panel(1, 'Requests per second', `service_track:requests:rate1m${selector}`, 'reqps', {
      h: 8,
      w: 12,
      x: 0,
      y: 0,
    }),
    panel(2, 'Error ratio', `service_track:error_ratio:rate1m${selector}`, 'percentunit', {
      h: 8,
      w: 12,
      x: 12,
      y: 0,
    }),
    panel(3, 'Latency p50', `service_track:request_duration_seconds:p50${selector}`, 's', {
      h: 8,
      w: 8,
      x: 0,
      y: 8,
    }),
    panel(4, 'Latency p95', `service_track:request_duration_seconds:p95${selector}`, 's', {
      h: 8,
      w: 8,
      x: 8,
      y: 8,
    }),
    panel(5, 'Latency p99', `service_track:request_duration_seconds:p99${selector}`, 's', {
      h: 8,
      w: 8,
      x: 16,
      y: 8,
    }),
  ],
};

if (import.meta.main) process.stdout.write(`${JSON.stringify(canaryOverview, null, 2)}\n`);
