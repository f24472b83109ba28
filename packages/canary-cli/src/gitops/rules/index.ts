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
import { schemaRule } from './schema.ts';
import type { Finding, Rule, Scene } from './types.ts';
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
  isolatedTable,
  immutableImageTag,
  podHardening,
  livenessIndependent,
  quotaFitsRollout,
  nodeMemoryFits,
  singleDefaultDatasource,
  noSecretsInGit,
];

export function runRules(scenes: readonly Scene[], rules: readonly Rule[] = RULES): Finding[] {
  return scenes.flatMap((scene) => rules.flatMap((rule) => rule.check(scene)));
}

export type { Finding, Rule, Scene } from './types.ts';
