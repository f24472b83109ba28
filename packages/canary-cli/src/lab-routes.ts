import type { LabObject, LabService, RouteSource } from 'localdev/lab';
import { CANARY_ENVIRONMENT, renderEnvironment, renderPullRequest } from './gitops/render.ts';

// Routes for the routers, and the PrometheusRule for the lab's Prometheus.
const ROUTE_KINDS = new Set(['IngressRoute', 'Middleware', 'GRPCRoute', 'PrometheusRule']);

/**
 * The lab's routes, rendered exactly as `canary render` does: stable routes from the
 * canary environment's stable Applications, PR routes from the PR Applications its PR
 * ApplicationSet generates (from the default branch, as in the cluster).
 */
export const manifestRoutes: RouteSource = {
  async stable(root) {
    const env = await renderEnvironment(root, CANARY_ENVIRONMENT);
    const objects = env.stable
      .flatMap((a) => a.objects.map((o) => o.object))
      .filter((o) => ROUTE_KINDS.has(o.kind));
    const host = objects
      .filter((o) => o.kind === 'IngressRoute')
      .flatMap((o) =>
        ((o.spec as { routes?: Array<{ match: string }> }).routes ?? []).map(
          (r) => /Host\(`([^`]+)`\)/.exec(r.match)?.[1],
        ),
      )
      .find((h): h is string => h !== undefined);
    if (host === undefined) throw new Error(`no Host() rule in ${CANARY_ENVIRONMENT}'s stable IngressRoutes`);
    return { objects: objects as LabObject[], host };
  },
  async pullRequest(root, headRoot, pr, headSha, services: readonly LabService[]) {
    const env = await renderEnvironment(root, CANARY_ENVIRONMENT);
    const apps = await renderPullRequest(
      root,
      env,
      { number: pr, headSha, labels: services.map((s) => `canary:${s}`) },
      headRoot,
    );
    const missing = services.filter(
      (s) => !apps.some((a) => a.application.metadata.name === `${s}-pr-${pr}`),
    );
    if (missing.length > 0) throw new Error(`no ApplicationSet generates ${missing.join(', ')} for PR ${pr}`);
    return apps
      .flatMap((a) => a.objects.map((o) => o.object))
      .filter((o) => ROUTE_KINDS.has(o.kind)) as LabObject[];
  },
};
