import type { RouteSource } from 'local-runtime/lab';
import { readIngressRoute } from 'routing-model/traefik';
import { canaryNamespace, loadCatalogue, serviceOf } from 'service-catalogue';
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
    const [host] = objects
      .filter((o) => o.kind === 'IngressRoute')
      .flatMap((o) => readIngressRoute(o).routes.flatMap((r) => r.hosts));
    if (host === undefined) throw new Error(`no Host() rule in ${CANARY_ENVIRONMENT}'s stable IngressRoutes`);
    return { objects, host };
  },
  async pullRequest(root, headRoot, pr, headSha, services) {
    const catalogue = loadCatalogue(root);
    const entries = services.map((s) => serviceOf(catalogue, s));
    const env = await renderEnvironment(root, CANARY_ENVIRONMENT);
    const apps = await renderPullRequest(
      root,
      env,
      { number: pr, headSha, labels: entries.map((e) => e.label), branch: `pr-${pr}` },
      headRoot,
    );
    const objects = apps.flatMap((a) => a.objects.map((o) => o.object));
    const missing = entries.filter(
      (e) => !objects.some((o) => o.kind === 'Namespace' && o.metadata.name === canaryNamespace(e, pr)),
    );
    if (missing.length > 0)
      throw new Error(`no ApplicationSet generates ${missing.map((e) => e.name).join(', ')} for PR ${pr}`);
    return objects.filter((o) => ROUTE_KINDS.has(o.kind));
  },
};
