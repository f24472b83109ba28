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
import { type Finding, finding, type Rule, type Scene } from './types.ts';

const isCanaryRoute = (route: TraefikRoute) =>
  headerMatchers(route.match).some((h) => h.name.toLowerCase() === CANARY_HEADER);
const ingressRoutes = (scene: Scene) => ofKind(allObjects(scene), 'IngressRoute');
const effectivePriority = (route: TraefikRoute) => route.priority ?? route.match.length;
const normalise = (rule: string) => rule.replace(/\s+/g, ' ').trim();

/** Each route of each IngressRoute, with where it is. */
function routesOf(items: readonly RenderedObject[]) {
  return items.flatMap((item) =>
    traefikRoutes(item.object).map((route, i) => ({ item, route, path: `spec.routes[${i}]` })),
  );
}

/** The scene's canary routes (matching the key) and the stable ones. */
function splitRoutes(scene: Scene) {
  const all = routesOf(ingressRoutes(scene));
  return {
    canary: all.filter((r) => isCanaryRoute(r.route)),
    stable: all.filter((r) => !isCanaryRoute(r.route)),
  };
}

export const traefikV3Api: Rule = {
  name: 'traefik-v3-api',
  description: 'Traefik v3 only: traefik.io/v1alpha1 and Header()/HeaderRegexp() matchers',
  check: (scene) =>
    allObjects(scene).flatMap((item) => {
      const out: Finding[] = [];
      if (item.object.apiVersion.startsWith('traefik.containo.us/'))
        out.push(
          finding(
            'traefik-v3-api',
            item,
            'apiVersion',
            'traefik.containo.us is gone in Traefik v3',
            'use traefik.io/v1alpha1',
          ),
        );
      if (item.object.kind === 'IngressRoute') {
        for (const { route, path } of routesOf([item])) {
          if (/\bHeaders(Regexp)?\(/.test(route.match))
            out.push(
              finding(
                'traefik-v3-api',
                item,
                `${path}.match`,
                `Traefik v2 matcher in "${route.match}"`,
                'use Header(`name`, `value`) or HeaderRegexp(…)',
              ),
            );
        }
      }
      return out;
    }),
};

export const canaryRoutePriority: Rule = {
  name: 'canary-route-priority',
  description: 'canary routers have an explicit priority above every stable router of the same host',
  check: (scene) => {
    const { canary, stable } = splitRoutes(scene);
    return canary.flatMap(({ item, route, path }) => {
      if (route.priority === undefined)
        return [
          finding(
            'canary-route-priority',
            item,
            `${path}.priority`,
            `no explicit priority on "${route.match}" (Traefik's default is the rule's length)`,
            'set priority: 1000 (above every stable router of the host)',
          ),
        ];
      const rivals = stable.filter((s) => hostOf(s.route.match) === hostOf(route.match));
      const top = Math.max(0, ...rivals.map((s) => effectivePriority(s.route)));
      return route.priority > top
        ? []
        : [
            finding(
              'canary-route-priority',
              item,
              `${path}.priority`,
              `priority ${route.priority} is not above the stable router's ${top}: stable would win`,
              `raise it above ${top}`,
            ),
          ];
    });
  },
};

export const canaryRouteCoversStable: Rule = {
  name: 'canary-route-covers-stable',
  description:
    'a canary router matches everything its stable router on the same entrypoint matches, plus the key (with the key, no request stays on stable)',
  check: (scene) => {
    const { canary, stable } = splitRoutes(scene);
    return canary.flatMap(({ item, route, path }) => {
      const rest = normalise(withoutHeaders(route.match));
      const counterparts = stable.filter(
        (s) =>
          hostOf(s.route.match) === hostOf(route.match) &&
          entryPoints(s.item.object).some((e) => entryPoints(item.object).includes(e)),
      );
      if (counterparts.length === 0)
        return [
          finding(
            'canary-route-covers-stable',
            item,
            `${path}.match`,
            `no stable router on ${entryPoints(item.object).join(', ') || 'its entrypoints'} for host ${hostOf(route.match) ?? '(none)'}: the canary has nothing to shadow`,
            'give the canary rule the host of the stable internal route',
          ),
        ];
      return counterparts.some((s) => normalise(s.route.match) === rest)
        ? []
        : [
            finding(
              'canary-route-covers-stable',
              item,
              `${path}.match`,
              `"${route.match}" without its Header() is "${rest}", but stable's rule is "${counterparts[0]?.route.match}": some requests with the key would stay on stable`,
              "make the canary rule stable's rule plus Header(`X-Canary`, `<N>`)",
            ),
          ];
    });
  },
};

export const canaryRouteGuarded: Rule = {
  name: 'canary-route-guarded',
  description:
    'canary routers are reachable only on a guarded path (non-public entrypoint, or allow-list / forward-auth middleware)',
  check: (scene) =>
    splitRoutes(scene).canary.flatMap(({ item, route }) => {
      const eps = entryPoints(item.object);
      const onPublic = eps.length === 0 ? ['every entrypoint'] : eps.filter((e) => PUBLIC_ENTRYPOINTS.has(e));
      const guarded = (route.middlewares ?? []).some((ref) => {
        const mw = middlewareOf(scene, ref, item.object);
        return at(mw, 'spec', 'ipAllowList') !== undefined || at(mw, 'spec', 'forwardAuth') !== undefined;
      });
      return onPublic.length > 0 && !guarded
        ? [
            finding(
              'canary-route-guarded',
              item,
              'spec.entryPoints',
              `canary router reachable on ${onPublic.join(', ')} without an allow-list or forward-auth: anyone guessing a PR number reaches unreviewed code`,
              'use entryPoints [internal] with middleware canary-guard',
            ),
          ]
        : [];
    }),
};

export const ingressRouteEntryPoints: Rule = {
  name: 'ingressroute-entrypoints',
  description:
    'every IngressRoute names its entryPoints (none means every entrypoint, the public ones included)',
  check: (scene) =>
    ingressRoutes(scene)
      .filter(({ object }) => entryPoints(object).length === 0)
      .map((item) =>
        finding(
          'ingressroute-entrypoints',
          item,
          'spec.entryPoints',
          'no entryPoints: Traefik serves the routes on every entrypoint, the public ones included',
          'list the entrypoints: websecure (public) or internal (guarded)',
        ),
      ),
};

export const publicEntrypointStripsCanary: Rule = {
  name: 'public-entrypoint-strips-canary',
  description:
    'every router reachable from a public entrypoint strips X-Canary and baggage (headers middleware)',
  check: (scene) =>
    routesOf(
      ingressRoutes(scene).filter(({ object }) => {
        const eps = entryPoints(object);
        return eps.length === 0 || eps.some((e) => PUBLIC_ENTRYPOINTS.has(e));
      }),
    ).flatMap(({ item, route, path }) => {
      const stripped = new Set<string>();
      for (const ref of route.middlewares ?? []) {
        const headers = at(middlewareOf(scene, ref, item.object), 'spec', 'headers', 'customRequestHeaders');
        for (const [name, value] of Object.entries((headers ?? {}) as Record<string, string>))
          if (value === '') stripped.add(name.toLowerCase());
      }
      const missing = [CANARY_HEADER, 'baggage'].filter((h) => !stripped.has(h));
      return missing.length === 0
        ? []
        : [
            finding(
              'public-entrypoint-strips-canary',
              item,
              `${path}.middlewares`,
              `public router "${route.match}" does not strip ${missing.join(' and ')}`,
              'add middleware strip-canary-headers (namespace apps)',
            ),
          ];
    }),
};

/** A CIDR that admits every address of its family. */
const everything = (range: string) => /\/0$/.test(range.trim()) || ['0.0.0.0', '::'].includes(range.trim());

export const guardAllowList: Rule = {
  name: 'guard-allow-list',
  description: 'IP allow-lists that guard routes admit no whole address family (0.0.0.0/0, ::/0)',
  check: (scene) =>
    ofKind(allObjects(scene), 'Middleware').flatMap((item) =>
      asArray(at(item.object, 'spec', 'ipAllowList', 'sourceRange')).flatMap((range, i) =>
        typeof range === 'string' && everything(range)
          ? [
              finding(
                'guard-allow-list',
                item,
                `spec.ipAllowList.sourceRange[${i}]`,
                `${range} admits every address: the guarded entrypoint becomes public`,
                'list the office, VPN and cluster ranges only',
              ),
            ]
          : [],
      ),
    ),
};
