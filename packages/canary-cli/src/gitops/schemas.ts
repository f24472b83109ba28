import * as argo from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import * as certManager from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as externalSecrets from '@kubernetes-models/external-secrets/external-secrets.io/v1';
import * as gateway from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as gatewayBeta from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as traefik from '@kubernetes-models/traefik/traefik.io/v1alpha1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { ACK_SCHEMAS } from './ack-schemas.ts';
import { LINKERD_SCHEMAS } from './linkerd-schemas.ts';
import type { K8sObject } from './objects.ts';

/** One way an object does not match its API: where (a field path) and what. */
export interface SchemaProblem {
  readonly path: string;
  readonly message: string;
  /** For an unknown field: the defined field it most likely meant. */
  readonly suggestion?: string;
}

/** A published model class: its prototype's validate() runs the upstream validator on `this`. */
type Model = { prototype: { validate(this: unknown): void } };

/**
 * apiVersion → kind → upstream model, for every kind the manifests may contain. The model
 * packages are pinned in packages/canary-cli/package.json to the versions listed in
 * localdev/versions.env (a test keeps the two equal).
 */
const MODELS: Record<string, Record<string, Model>> = {
  v1: {
    Namespace: core.Namespace,
    ConfigMap: core.ConfigMap,
    Service: core.Service,
    ServiceAccount: core.ServiceAccount,
    ResourceQuota: core.ResourceQuota,
    LimitRange: core.LimitRange,
    Secret: core.Secret,
  },
  'apps/v1': { Deployment: apps.Deployment, StatefulSet: apps.StatefulSet },
  'autoscaling/v2': { HorizontalPodAutoscaler: autoscaling.HorizontalPodAutoscaler },
  'policy/v1': { PodDisruptionBudget: policy.PodDisruptionBudget },
  'networking.k8s.io/v1': { NetworkPolicy: networking.NetworkPolicy },
  'argoproj.io/v1alpha1': {
    Application: argo.Application,
    ApplicationSet: argo.ApplicationSet,
    AppProject: argo.AppProject,
  },
  'traefik.io/v1alpha1': { IngressRoute: traefik.IngressRoute, Middleware: traefik.Middleware },
  'gateway.networking.k8s.io/v1': { GRPCRoute: gateway.GRPCRoute, HTTPRoute: gateway.HTTPRoute },
  'gateway.networking.k8s.io/v1beta1': { ReferenceGrant: gatewayBeta.ReferenceGrant },
  'monitoring.coreos.com/v1': {
    ServiceMonitor: monitoring.ServiceMonitor,
    PodMonitor: monitoring.PodMonitor,
    PrometheusRule: monitoring.PrometheusRule,
  },
  'cert-manager.io/v1': { Certificate: certManager.Certificate },
  'external-secrets.io/v1': { ExternalSecret: externalSecrets.ExternalSecret },
};

/** What a validator did with one object node of the data it was given. */
interface Visit {
  readonly keys: readonly string[];
  readonly read: Set<string>;
  enumerated: boolean;
}

/**
 * A copy of `value` whose objects record which of their keys the validator reads. A key
 * that a schema defines is always read (the compiled validators check each defined
 * property); a map (additionalProperties) is enumerated; an object whose schema preserves
 * unknown fields is neither read nor enumerated.
 */
function observed(value: unknown, path: string, visits: Map<string, Visit>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v, i) => observed(v, `${path}[${i}]`, visits));
  const visit: Visit = { keys: Object.keys(value), read: new Set(), enumerated: false };
  visits.set(path, visit);
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = observed(v, path === '' ? k : `${path}.${k}`, visits);
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') visit.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      visit.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

interface AjvError {
  readonly instancePath: string;
  readonly message?: string;
  readonly keyword: string;
  readonly params?: Record<string, unknown>;
}

/** `/spec/routes/0/match` → `spec.routes[0].match`. */
const pathOf = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (out, part) => (/^[0-9]+$/.test(part) ? `${out}[${part}]` : out === '' ? part : `${out}.${part}`),
      '',
    );

function ajvMessage(error: AjvError): string {
  if (error.keyword === 'enum' && Array.isArray(error.params?.allowedValues))
    return `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'required') return `${String(error.params?.missingProperty)} is required`;
  return error.message ?? error.keyword;
}

/** Edit distance between two short strings. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

/** The defined field a misspelt one most likely meant: same letters in another case, or 2 edits away. */
function closest(key: string, defined: readonly string[]): string | undefined {
  const sameCase = defined.find((d) => d.toLowerCase() === key.toLowerCase());
  if (sameCase !== undefined) return sameCase;
  const ranked = defined
    .map((d) => ({ d, n: distance(key.toLowerCase(), d.toLowerCase()) }))
    .filter(({ n }) => n <= 2)
    .sort((x, y) => x.n - y.n);
  return ranked[0]?.d;
}

/** Unknown fields: keys the validator never read, in objects it did look into. */
function unknownFields(visits: Map<string, Visit>): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const reported: string[] = [];
  for (const [path, visit] of visits) {
    if (reported.some((p) => path.startsWith(`${p}.`) || path.startsWith(`${p}[`))) continue;
    // A map, or an object whose schema keeps unknown fields: nothing to check here.
    if (visit.enumerated || visit.read.size === 0) continue;
    for (const key of visit.keys) {
      if (visit.read.has(key)) continue;
      // The published validators leave out every property named "description" (their
      // generator strips that annotation keyword at every level); the models declare it.
      if (key === 'description') continue;
      const field = path === '' ? key : `${path}.${key}`;
      reported.push(field);
      const suggestion = closest(
        key,
        [...visit.read].filter((k) => !visit.keys.includes(k)),
      );
      problems.push({
        path: field,
        message: `unknown field "${key}" (the API server would drop it)${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`,
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
  }
  return problems;
}

/**
 * Validates an object strictly against its pinned upstream schema: wrong types, enums and
 * required fields (the upstream validator), and unknown fields (which the published models
 * accept but the API server silently drops), each with its field path.
 */
export function schemaProblems(object: K8sObject): SchemaProblem[] {
  const custom =
    ACK_SCHEMAS[object.apiVersion]?.[object.kind] ?? LINKERD_SCHEMAS[object.apiVersion]?.[object.kind];
  if (custom !== undefined) return custom(object);
  const model = MODELS[object.apiVersion]?.[object.kind];
  if (model === undefined)
    return [{ path: 'apiVersion', message: `no schema known for ${object.apiVersion} ${object.kind}` }];
  const visits = new Map<string, Visit>();
  const data = observed(structuredClone(object), '', visits);
  const problems: SchemaProblem[] = [];
  try {
    model.prototype.validate.call(data);
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors ?? [];
    if (errors.length === 0)
      problems.push({ path: '', message: (err as Error).message.split('\n')[0] ?? 'invalid' });
    for (const error of errors)
      problems.push({ path: pathOf(error.instancePath), message: ajvMessage(error) });
  }
  // Type errors stop the validator from looking inside a node: report unknown fields
  // only for what it could read.
  return [...problems, ...unknownFields(visits)];
}

/** The kinds verify knows, as `apiVersion kind` (for docs and messages). */
export function knownKinds(): string[] {
  return [
    ...Object.entries(MODELS).flatMap(([v, kinds]) => Object.keys(kinds).map((k) => `${v} ${k}`)),
    ...Object.entries(ACK_SCHEMAS).flatMap(([v, kinds]) => Object.keys(kinds).map((k) => `${v} ${k}`)),
  ];
}
