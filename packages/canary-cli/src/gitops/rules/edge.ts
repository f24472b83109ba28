import { BAGGAGE_HEADER, CANARY_HEADER } from 'canary-context';
import {
  besidesHeaders,
  isCanaryRoute,
  matcherKey,
  onPublicEntrypoint,
  PUBLIC_ENTRYPOINTS,
  readIngressRoute,
  readMiddleware,
  ruleText,
  TRAEFIK_V2_API_GROUP,
  V2_ONLY_MATCHERS,
} from 'routing-model/traefik';
import type { RenderedObject } from '../objects.ts';
import { ingressRoutes, middlewareFor } from './scene.ts';
import type { ObjectRule, Problem, Scene } from './types.ts';

/** The canary routes of an IngressRoute (those matching the key). */
const canaryRoutesOf = (item: RenderedObject) => readIngressRoute(item.object).routes.filter(isCanaryRoute);

/** The scene's stable routes (not matching the key). */
const stableRoutes = (scene: Scene) => ingressRoutes(scene).filter((r) => !isCanaryRoute(r.route));

export const traefikV3Api: ObjectRule = {
  id: 'traefik-v3-api',
  description: 'Traefik v3 only: traefik.io/v1alpha1 and Header()/HeaderRegexp() matchers',
  remediation: 'use traefik.io/v1alpha1 and Header(`name`, `value`) / HeaderRegexp(…)',
  kinds: ['*'],
  *check(item) {
    if (item.object.apiVersion.startsWith(`${TRAEFIK_V2_API_GROUP}/`))
      yield {
        path: 'apiVersion',
        message: `${TRAEFIK_V2_API_GROUP} is gone in Traefik v3`,
        fix: 'use traefik.io/v1alpha1',
      };
    if (item.object.kind !== 'IngressRoute') return;
    for (const route of readIngressRoute(item.object).routes)
      if (route.read.names.some((name) => V2_ONLY_MATCHERS.has(name)))
        yield {
          path: `${route.path}.match`,
          message: `Traefik v2 matcher in "${route.rule}"`,
          fix: 'use Header(`name`, `value`) or HeaderRegexp(…)',
        };
  },
};

export const canaryRoutePriority: ObjectRule = {
  id: 'canary-route-priority',
  description: 'canary routers have an explicit priority above every stable router of the same host',
  remediation: 'set priority: 1000 (above every stable router of the host)',
  kinds: ['IngressRoute'],
  *check(item, scene) {
    for (const route of canaryRoutesOf(item)) {
      if (!route.explicitPriority) {
        yield {
          path: `${route.path}.priority`,
          message: `no explicit priority on "${route.rule}" (Traefik's default is the rule's length)`,
        };
        continue;
      }
      const rivals = stableRoutes(scene).filter((s) => s.route.hosts[0] === route.hosts[0]);
      const top = Math.max(0, ...rivals.map((s) => s.route.priority));
      if (route.priority <= top)
        yield {
          path: `${route.path}.priority`,
          message: `priority ${route.priority} is not above the stable router's ${top}: stable would win`,
          fix: `raise it above ${top}`,
        };
    }
  },
};

export const canaryRouteCoversStable: ObjectRule = {
  id: 'canary-route-covers-stable',
  description:
    'a canary router matches everything its stable router on the same entrypoint matches, plus the key (with the key, no request stays on stable)',
  remediation: "make the canary rule stable's rule plus Header(`X-Canary`, `<N>`)",
  kinds: ['IngressRoute'],
  *check(item, scene) {
    const entryPoints = readIngressRoute(item.object).entryPoints;
    for (const route of canaryRoutesOf(item)) {
      const rest = besidesHeaders(route);
      const counterparts = stableRoutes(scene).filter(
        (s) =>
          s.route.hosts[0] === route.hosts[0] && s.ingress.entryPoints.some((e) => entryPoints.includes(e)),
      );
      if (counterparts.length === 0)
        yield {
          path: `${route.path}.match`,
          message: `no stable router on ${entryPoints.join(', ') || 'its entrypoints'} for host ${route.hosts[0] ?? '(none)'}: the canary has nothing to shadow`,
          fix: 'give the canary rule the host of the stable internal route',
        };
      // Same matchers in any order: Traefik's && is commutative.
      else if (!counterparts.some((s) => matcherKey(s.route.read.matchers) === matcherKey(rest)))
        yield {
          path: `${route.path}.match`,
          message: `"${route.rule}" without its Header() is "${ruleText(rest)}", but stable's rule is "${counterparts[0]?.route.rule}": some requests with the key would stay on stable`,
        };
    }
  },
};

export const canaryRouteGuarded: ObjectRule = {
  id: 'canary-route-guarded',
  description:
    'canary routers are reachable only on a guarded path (non-public entrypoint, or allow-list / forward-auth middleware)',
  remediation: 'use entryPoints [internal] with middleware canary-guard',
  kinds: ['IngressRoute'],
  *check(item, scene) {
    const eps = readIngressRoute(item.object).entryPoints;
    const onPublic = eps.length === 0 ? ['every entrypoint'] : eps.filter((e) => PUBLIC_ENTRYPOINTS.has(e));
    if (onPublic.length === 0) return;
    for (const route of canaryRoutesOf(item)) {
      const guarded = route.middlewares.some((ref) => {
        const mw = middlewareFor(scene, ref);
        return mw !== undefined && (mw.ipAllowList !== undefined || mw.forwardAuth);
      });
      if (!guarded)
        yield {
          path: 'spec.entryPoints',
          message: `canary router reachable on ${onPublic.join(', ')} without an allow-list or forward-auth: anyone guessing a PR number reaches unreviewed code`,
        };
    }
  },
};

export const ingressRouteEntryPoints: ObjectRule = {
  id: 'ingressroute-entrypoints',
  description:
    'every IngressRoute names its entryPoints (none means every entrypoint, the public ones included)',
  remediation: 'list the entrypoints: websecure (public) or internal (guarded)',
  kinds: ['IngressRoute'],
  check: (item) =>
    readIngressRoute(item.object).entryPoints.length > 0
      ? []
      : [
          {
            path: 'spec.entryPoints',
            message:
              'no entryPoints: Traefik serves the routes on every entrypoint, the public ones included',
          },
        ],
};

export const publicEntrypointStripsCanary: ObjectRule = {
  id: 'public-entrypoint-strips-canary',
  description:
    'every router reachable from a public entrypoint strips X-Canary and baggage (headers middleware)',
  remediation: 'add middleware strip-canary-headers (namespace apps)',
  kinds: ['IngressRoute'],
  *check(item, scene) {
    const ingress = readIngressRoute(item.object);
    if (!onPublicEntrypoint(ingress)) return;
    for (const route of ingress.routes) {
      const stripped = new Set(
        route.middlewares.flatMap((ref) => middlewareFor(scene, ref)?.headers?.request.remove ?? []),
      );
      const missing = [CANARY_HEADER, BAGGAGE_HEADER].filter((h) => !stripped.has(h));
      if (missing.length > 0)
        yield {
          path: `${route.path}.middlewares`,
          message: `public router "${route.rule}" does not strip ${missing.join(' and ')}`,
        };
    }
  },
};

/** A CIDR that admits every address of its family. */
const everything = (range: string) => /\/0$/.test(range.trim()) || ['0.0.0.0', '::'].includes(range.trim());

export const guardAllowList: ObjectRule = {
  id: 'guard-allow-list',
  description: 'IP allow-lists that guard routes admit no whole address family (0.0.0.0/0, ::/0)',
  remediation: 'list the office, VPN and cluster ranges only',
  kinds: ['Middleware'],
  check: (item) =>
    (readMiddleware(item.object).ipAllowList ?? []).flatMap((range, i): Problem[] =>
      everything(range)
        ? [
            {
              path: `spec.ipAllowList.sourceRange[${i}]`,
              message: `${range} admits every address: the guarded entrypoint becomes public`,
            },
          ]
        : [],
    ),
};
