import { CANARY_HEADER } from 'canary-context';
import type { RenderedObject } from '../objects.ts';
import { asArray, at } from '../objects.ts';
import {
  allObjects,
  entryPoints,
  headerMatchers,
  hostOf,
  middlewareOf,
  ofKind,
  PUBLIC_ENTRYPOINTS,
  type TraefikRoute,
  traefikRoutes,
  withoutHeaders,
} from './scene.ts';
import type { ObjectRule, Problem, Scene } from './types.ts';

const isCanaryRoute = (route: TraefikRoute) =>
  headerMatchers(route.match).some((h) => h.name.toLowerCase() === CANARY_HEADER);
const effectivePriority = (route: TraefikRoute) => route.priority ?? route.match.length;
const normalise = (rule: string) => rule.replace(/\s+/g, ' ').trim();

/** Each route of each IngressRoute, with where it is. */
function routesOf(items: readonly RenderedObject[]) {
  return items.flatMap((item) =>
    traefikRoutes(item.object).map((route, i) => ({ item, route, path: `spec.routes[${i}]` })),
  );
}

/** The canary routes of an IngressRoute (those matching the key). */
const canaryRoutesOf = (item: RenderedObject) => routesOf([item]).filter((r) => isCanaryRoute(r.route));

/** The scene's stable routes (not matching the key). */
const stableRoutes = (scene: Scene) =>
  routesOf(ofKind(allObjects(scene), 'IngressRoute')).filter((r) => !isCanaryRoute(r.route));

export const traefikV3Api: ObjectRule = {
  id: 'traefik-v3-api',
  description: 'Traefik v3 only: traefik.io/v1alpha1 and Header()/HeaderRegexp() matchers',
  remediation: 'use traefik.io/v1alpha1 and Header(`name`, `value`) / HeaderRegexp(…)',
  kinds: ['*'],
  *check(item) {
    if (item.object.apiVersion.startsWith('traefik.containo.us/'))
      yield {
        path: 'apiVersion',
        message: 'traefik.containo.us is gone in Traefik v3',
        fix: 'use traefik.io/v1alpha1',
      };
    if (item.object.kind !== 'IngressRoute') return;
    for (const { route, path } of routesOf([item]))
      if (/\bHeaders(Regexp)?\(/.test(route.match))
        yield {
          path: `${path}.match`,
          message: `Traefik v2 matcher in "${route.match}"`,
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
    for (const { route, path } of canaryRoutesOf(item)) {
      if (route.priority === undefined) {
        yield {
          path: `${path}.priority`,
          message: `no explicit priority on "${route.match}" (Traefik's default is the rule's length)`,
        };
        continue;
      }
      const rivals = stableRoutes(scene).filter((s) => hostOf(s.route.match) === hostOf(route.match));
      const top = Math.max(0, ...rivals.map((s) => effectivePriority(s.route)));
      if (route.priority <= top)
        yield {
          path: `${path}.priority`,
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
    for (const { route, path } of canaryRoutesOf(item)) {
      const rest = normalise(withoutHeaders(route.match));
      const counterparts = stableRoutes(scene).filter(
        (s) =>
          hostOf(s.route.match) === hostOf(route.match) &&
          entryPoints(s.item.object).some((e) => entryPoints(item.object).includes(e)),
      );
      if (counterparts.length === 0)
        yield {
          path: `${path}.match`,
          message: `no stable router on ${entryPoints(item.object).join(', ') || 'its entrypoints'} for host ${hostOf(route.match) ?? '(none)'}: the canary has nothing to shadow`,
          fix: 'give the canary rule the host of the stable internal route',
        };
      else if (!counterparts.some((s) => normalise(s.route.match) === rest))
        yield {
          path: `${path}.match`,
          message: `"${route.match}" without its Header() is "${rest}", but stable's rule is "${counterparts[0]?.route.match}": some requests with the key would stay on stable`,
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
    const eps = entryPoints(item.object);
    const onPublic = eps.length === 0 ? ['every entrypoint'] : eps.filter((e) => PUBLIC_ENTRYPOINTS.has(e));
    if (onPublic.length === 0) return;
    for (const { route } of canaryRoutesOf(item)) {
      const guarded = (route.middlewares ?? []).some((ref) => {
        const mw = middlewareOf(scene, ref, item.object);
        return at(mw, 'spec', 'ipAllowList') !== undefined || at(mw, 'spec', 'forwardAuth') !== undefined;
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
    entryPoints(item.object).length > 0
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
    const eps = entryPoints(item.object);
    if (eps.length > 0 && !eps.some((e) => PUBLIC_ENTRYPOINTS.has(e))) return;
    for (const { route, path } of routesOf([item])) {
      const stripped = new Set<string>();
      for (const ref of route.middlewares ?? []) {
        const headers = at(middlewareOf(scene, ref, item.object), 'spec', 'headers', 'customRequestHeaders');
        for (const [name, value] of Object.entries((headers ?? {}) as Record<string, string>))
          if (value === '') stripped.add(name.toLowerCase());
      }
      const missing = [CANARY_HEADER, 'baggage'].filter((h) => !stripped.has(h));
      if (missing.length > 0)
        yield {
          path: `${path}.middlewares`,
          message: `public router "${route.match}" does not strip ${missing.join(' and ')}`,
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
    asArray(at(item.object, 'spec', 'ipAllowList', 'sourceRange')).flatMap((range, i): Problem[] =>
      typeof range === 'string' && everything(range)
        ? [
            {
              path: `spec.ipAllowList.sourceRange[${i}]`,
              message: `${range} admits every address: the guarded entrypoint becomes public`,
            },
          ]
        : [],
    ),
};
