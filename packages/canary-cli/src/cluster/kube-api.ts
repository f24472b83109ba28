import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { K8sObject } from '../gitops/objects.ts';

/** A refusal from the API server (its Status object, flattened). */
export class KubeError extends Error {
  override name = 'KubeError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export interface ApiResource {
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ApplyOptions {
  /** Server-side dry run: admission and validation run, nothing is stored. */
  readonly dryRun?: boolean;
}

/** The field manager the applies are made under, as Argo CD's own. */
export const FIELD_MANAGER = 'argocd-controller';

/**
 * A small client for what verify needs of the Kubernetes API: discovery, server-side apply
 * with strict field validation, get, list and delete. Authentication and TLS come from a
 * kubeconfig (@kubernetes/client-node reads it, exec plugins and client certificates
 * included); requests are plain HTTPS.
 */
export class KubeApi {
  private readonly discovery = new Map<string, Promise<Map<string, ApiResource>>>();
  private readonly config: KubeConfig;

  constructor(config: KubeConfig) {
    this.config = config;
  }

  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 60_000,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(path, this.server);
    const options: Parameters<typeof request>[1] = {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
      timeout: timeoutMs,
    };
    await this.config.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = { message: text.slice(0, 500) };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs / 1000} s`)),
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private async ok(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<Record<string, unknown>> {
    const { status, json } = await this.request(method, path, body, contentType);
    if (status >= 200 && status < 300) return json;
    throw new KubeError(
      status,
      String(json.reason ?? ''),
      String(json.message ?? `${method} ${path}: HTTP ${status}`),
    );
  }

  /** The resources of one apiVersion (`v1`, `apps/v1`, `traefik.io/v1alpha1`) by kind. */
  resources(apiVersion: string, refresh = false): Promise<Map<string, ApiResource>> {
    const cached = this.discovery.get(apiVersion);
    if (cached !== undefined && !refresh) return cached;
    const loading = this.ok(
      'GET',
      apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
    ).then((list) => {
      const out = new Map<string, ApiResource>();
      for (const r of (list.resources as Array<{ name: string; kind: string; namespaced: boolean }>) ?? []) {
        if (!r.name.includes('/')) out.set(r.kind, { plural: r.name, namespaced: r.namespaced });
      }
      return out;
    });
    loading.catch(() => this.discovery.delete(apiVersion));
    this.discovery.set(apiVersion, loading);
    return loading;
  }

  /** Forgets discovery answers (after CRDs were installed). */
  forgetDiscovery(): void {
    this.discovery.clear();
  }

  /** The collection path of a kind, or throws a KubeError the way `kubectl` reports an unknown kind. */
  async collection(
    apiVersion: string,
    kind: string,
    namespace?: string,
  ): Promise<{ path: string; namespaced: boolean }> {
    const resource = (await this.resources(apiVersion).catch(() => undefined))?.get(kind);
    if (resource === undefined)
      throw new KubeError(
        404,
        'NoKindMatch',
        `no matches for kind "${kind}" in version "${apiVersion}" (is its CRD installed?)`,
      );
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = resource.namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
    return { path: `${base}${ns}/${resource.plural}`, namespaced: resource.namespaced };
  }

  async pathOf(object: K8sObject): Promise<string> {
    const { path } = await this.collection(object.apiVersion, object.kind, object.metadata.namespace);
    return `${path}/${encodeURIComponent(object.metadata.name)}`;
  }

  /** Server-side apply, forced, with strict field validation (unknown or duplicate fields are refused). */
  async apply(object: K8sObject, options: ApplyOptions = {}): Promise<Record<string, unknown>> {
    const query = new URLSearchParams({
      fieldManager: FIELD_MANAGER,
      force: 'true',
      fieldValidation: 'Strict',
    });
    if (options.dryRun === true) query.set('dryRun', 'All');
    return this.ok('PATCH', `${await this.pathOf(object)}?${query}`, object, 'application/apply-patch+yaml');
  }

  async get(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<Record<string, unknown> | undefined> {
    const { path } = await this.collection(apiVersion, kind, namespace);
    const { status, json } = await this.request('GET', `${path}/${encodeURIComponent(name)}`);
    if (status === 404) return undefined;
    if (status >= 300) throw new KubeError(status, String(json.reason ?? ''), String(json.message ?? ''));
    return json;
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<Array<Record<string, unknown>>> {
    const { path } = await this.collection(apiVersion, kind, namespace);
    const all = namespace === undefined ? path.replace(/\/namespaces\/default\//, '/') : path;
    return ((await this.ok('GET', all)).items as Array<Record<string, unknown>>) ?? [];
  }

  /** Clears an object's finalizers (what a controller does once it has finished its cleanup); absent is fine. */
  async clearFinalizers(object: K8sObject): Promise<void> {
    const { status, json } = await this.request(
      'PATCH',
      await this.pathOf(object),
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    if (status === 404 || (status >= 200 && status < 300)) return;
    throw new KubeError(status, String(json.reason ?? ''), String(json.message ?? ''));
  }

  /** Deletes an object (foreground, as Argo CD prunes); absent is fine. */
  async delete(object: K8sObject, options: ApplyOptions = {}): Promise<void> {
    const query = new URLSearchParams({ propagationPolicy: 'Foreground' });
    if (options.dryRun === true) query.set('dryRun', 'All');
    const { status, json } = await this.request('DELETE', `${await this.pathOf(object)}?${query}`);
    if (status === 404 || (status >= 200 && status < 300)) return;
    throw new KubeError(status, String(json.reason ?? ''), String(json.message ?? ''));
  }
}
