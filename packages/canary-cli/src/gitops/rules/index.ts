import type { RenderedApplication } from '../argo.ts';
import { describe, type RenderedObject } from '../objects.ts';
import { meshCallersOnly } from './callers.ts';
import {
  canaryKeyValue,
  environmentTrack,
  isolatedTable,
  previewHostname,
  prHeadConfined,
  prNamespaceManaged,
  routesAfterWorkload,
  routesFromDefaultBranch,
  workloadAtPrHead,
} from './canary.ts';
import { catalogueAgreement, singleDefaultDatasource } from './catalogue.ts';
import {
  canaryRouteCoversStable,
  canaryRouteGuarded,
  canaryRoutePriority,
  guardAllowList,
  ingressRouteEntryPoints,
  publicEntrypointStripsCanary,
  traefikV3Api,
} from './edge.ts';
import { nodeMemoryFits } from './memory.ts';
import {
  grpcRouteMethodMatch,
  grpcRouteParent,
  grpcServiceExists,
  meshInjection,
  referenceGrant,
} from './mesh.ts';
import { objectNames } from './names.ts';
import {
  applicationSetTemplate,
  appProjectClusterKinds,
  noSecretsInGit,
  projectPermits,
} from './projects.ts';
import { allApplications, checkedObjects } from './scene.ts';
import { schemaRule } from './schema.ts';
import { settingsRollPods } from './settings.ts';
import {
  type ApplicationScope,
  appItem,
  type Finding,
  type Problem,
  type Rule,
  type Scene,
  type Subject,
} from './types.ts';
import {
  immutableImageTag,
  livenessIndependent,
  podHardening,
  portsResolve,
  quotaFitsRollout,
} from './workloads.ts';

/** Every rule `canary verify` runs, in the order findings are printed. */
export const RULES: readonly Rule[] = [
  schemaRule,
  objectNames,
  catalogueAgreement,
  traefikV3Api,
  ingressRouteEntryPoints,
  publicEntrypointStripsCanary,
  guardAllowList,
  canaryRoutePriority,
  canaryRouteGuarded,
  canaryRouteCoversStable,
  canaryKeyValue,
  previewHostname,
  grpcRouteMethodMatch,
  grpcServiceExists,
  grpcRouteParent,
  referenceGrant,
  portsResolve,
  meshInjection,
  meshCallersOnly,
  projectPermits,
  appProjectClusterKinds,
  applicationSetTemplate,
  prNamespaceManaged,
  prHeadConfined,
  workloadAtPrHead,
  routesFromDefaultBranch,
  routesAfterWorkload,
  environmentTrack,
  settingsRollPods,
  isolatedTable,
  immutableImageTag,
  podHardening,
  livenessIndependent,
  quotaFitsRollout,
  nodeMemoryFits,
  singleDefaultDatasource,
  noSecretsInGit,
];

/** The Applications an Application rule is called for. */
function applicationsOf(scene: Scene, scope: ApplicationScope): readonly RenderedApplication[] {
  switch (scope) {
    case 'all':
      return allApplications(scene);
    case 'pr':
      return scene.canary;
    case 'pr-head':
      return allApplications(scene).filter((a) => a.fromPullRequestHead);
  }
}

/** A rule's findings in one scene: the rule reports problems, the runner says whose. */
function runRule(rule: Rule, scene: Scene, index: SceneIndex): Finding[] {
  const out: Finding[] = [];
  const add = (problems: Iterable<Problem>, subject: Subject) => {
    for (const { path, message, fix, on } of problems) {
      const about = on ?? subject;
      out.push({
        rule: rule.id,
        file: about.file,
        object: describe(about.object),
        path,
        message,
        fix: fix ?? rule.remediation,
      });
    }
  };
  // A scene rule is all "across"; object and Application rules may add facts no single subject holds.
  const across = 'kinds' in rule || 'applications' in rule ? rule.acrossScene : rule.check;
  for (const problem of across?.(scene) ?? []) add([problem], problem.on);
  if ('kinds' in rule) {
    const items = rule.kinds.includes('*')
      ? (index.byKind.get('*') ?? [])
      : rule.kinds.flatMap((k) => index.byKind.get(k) ?? []);
    for (const item of items) add(rule.check(item, scene, index.renderedBy.get(item)), item);
  } else if ('applications' in rule) {
    for (const app of applicationsOf(scene, rule.applications)) add(rule.check(app, scene), appItem(app));
  }
  return out;
}

/** A scene's objects by kind (`*`: all), and the Application that renders each. */
interface SceneIndex {
  readonly byKind: ReadonlyMap<string, readonly RenderedObject[]>;
  readonly renderedBy: ReadonlyMap<RenderedObject, RenderedApplication>;
}

function indexScene(scene: Scene): SceneIndex {
  const objects = checkedObjects(scene);
  const byKind = new Map<string, RenderedObject[]>([['*', objects]]);
  for (const item of objects) {
    const list = byKind.get(item.object.kind);
    if (list === undefined) byKind.set(item.object.kind, [item]);
    else list.push(item);
  }
  const renderedBy = new Map<RenderedObject, RenderedApplication>();
  for (const app of allApplications(scene)) for (const item of app.objects) renderedBy.set(item, app);
  return { byKind, renderedBy };
}

/** Runs the rules on every scene; findings come rule by rule, in the order of `rules`. */
export function runRules(scenes: readonly Scene[], rules: readonly Rule[] = RULES): Finding[] {
  return scenes.flatMap((scene) => {
    const index = indexScene(scene);
    return rules.flatMap((rule) => runRule(rule, scene, index));
  });
}

const SCOPE_NAMES: Record<ApplicationScope, string> = {
  all: 'each Application',
  pr: 'each PR Application',
  'pr-head': "each Application of a PR's head",
};
const kindList = (kinds: readonly string[]) => kinds.map((k) => (k === '*' ? 'every kind' : k)).join(', ');

/** What a rule is run on and reads, in words (the docs table's second column). */
export function scopeOf(rule: Rule): string {
  if ('kinds' in rule)
    return `${rule.kinds.includes('*') ? 'each object' : `each ${rule.kinds.join(', ')}`}${rule.acrossScene === undefined ? '' : '; across the environment'}`;
  if ('applications' in rule)
    return `${SCOPE_NAMES[rule.applications]}, reading ${kindList(rule.reads)}${rule.acrossScene === undefined ? '' : '; across the environment'}`;
  return `the environment, reading ${kindList(rule.reads)}`;
}

/** The rule table of `canary help`: one line per rule, id and description. */
export function helpRuleTable(rules: readonly Rule[] = RULES, indent = '        '): string {
  return rules.map((r) => `${indent}${r.id.padEnd(32)} ${r.description}`).join('\n');
}

/** Text for a Markdown table cell: `|` escaped, and `<` outside code spans (`pr-<N>` is no HTML tag). */
const cell = (text: string) =>
  text
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replaceAll('<', '\\<') : part))
    .join('`')
    .replaceAll('|', '\\|');

/** The rule table of docs/troubleshooting.md (Markdown), from the same data. */
export function docsRuleTable(rules: readonly Rule[] = RULES): string {
  return [
    '| rule | checks | what it requires | fix |',
    '|---|---|---|---|',
    ...rules.map((r) => `| \`${r.id}\` | ${scopeOf(r)} | ${cell(r.description)} | ${cell(r.remediation)} |`),
  ].join('\n');
}

export type { Finding, Rule, Scene } from './types.ts';
