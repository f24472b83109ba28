// The extension's logic, free of browser APIs (unit-tested in Node, used by the worker and pages).
import { CANARY_HEADER, PR_NUMBER } from './defaults.ts';

/** One site the extension may add X-Canary to: a host name (any port), its PR, on or off. */
export interface Site {
  readonly host: string;
  readonly pr: string | null;
  readonly enabled: boolean;
}

export interface Settings {
  readonly sites: readonly Site[];
  /** Most recent first, at most 5. */
  readonly recent: readonly string[];
}

const HOST =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A PR number as the platform accepts it (the same rule as the services' X-Canary parser). */
export function validatePr(input: string): { ok: true; pr: string } | { ok: false; message: string } {
  const value = input.trim();
  if (PR_NUMBER.test(value)) return { ok: true, pr: value };
  return { ok: false, message: `"${value.slice(0, 20)}" is not a PR number: use digits only, like 123` };
}

export function validateHost(input: string): { ok: true; host: string } | { ok: false; message: string } {
  const host = input.trim().toLowerCase().replace(/:\d+$/, '');
  if (HOST.test(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return { ok: true, host };
  return {
    ok: false,
    message: `"${input.slice(0, 40)}" is not a host name (e.g. localhost or api.example.com)`,
  };
}

export const RESOURCE_TYPES = [
  'main_frame',
  'sub_frame',
  'xmlhttprequest',
  'websocket',
  'script',
  'stylesheet',
  'image',
  'font',
  'media',
  'ping',
  'csp_report',
  'other',
] as const;

/** declarativeNetRequest rules: set X-Canary for each enabled site with a PR, every resource type. */
export function dnrRules(settings: Settings) {
  return settings.sites
    .filter((s) => s.enabled && s.pr !== null)
    .map((site, index) => ({
      id: index + 1,
      priority: 1,
      action: {
        type: 'modifyHeaders' as const,
        requestHeaders: [{ header: CANARY_HEADER, operation: 'set' as const, value: site.pr ?? '' }],
      },
      condition: { requestDomains: [site.host], resourceTypes: [...RESOURCE_TYPES] },
    }));
}

export function siteFor(settings: Settings, host: string): Site | undefined {
  return settings.sites.find((s) => s.host === host.toLowerCase());
}

export interface Hop {
  readonly service: string;
  readonly track: string;
  readonly version: string;
  readonly canary: boolean;
}

/** `api-service@pr-123 (sha 1a2b3c4), store-service@stable (v1)` → hops in order. */
export function parseServedBy(header: string | null | undefined): Hop[] {
  if (header === null || header === undefined || header.trim() === '') return [];
  return header
    .split(/,\s*(?=[^,()]+@)/)
    .map((part) => /^\s*([^@\s]+)@(\S+)\s*(?:\((.*)\))?\s*$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      service: m[1] ?? '',
      track: m[2] ?? '',
      version: m[3] ?? '',
      canary: (m[2] ?? '').startsWith('pr-'),
    }));
}

export interface LastResponse {
  readonly url: string;
  readonly hops: readonly Hop[];
  readonly error: string | null;
}

export interface Badge {
  readonly text: string;
  readonly color: string;
  readonly warning: boolean;
  readonly title: string;
}

const NORMAL = '#2563eb';
const WARNING = '#d97706';

/** The toolbar badge: the PR while active; a warning when the last answer did not come from it. */
export function badgeFor(site: Site | undefined, last: LastResponse | undefined): Badge {
  if (site === undefined || !site.enabled || site.pr === null)
    return { text: '', color: NORMAL, warning: false, title: 'X-Canary off for this site' };
  const text = site.pr.length > 4 ? `${site.pr.slice(0, 3)}…` : site.pr;
  if (last?.error)
    return {
      text,
      color: WARNING,
      warning: true,
      title: `PR ${site.pr}: the API ignored the key (${last.error})`,
    };
  if (last !== undefined && last.hops.length > 0 && !last.hops.some((h) => h.track === `pr-${site.pr}`)) {
    return {
      text,
      color: WARNING,
      warning: true,
      title: `PR ${site.pr}: no hop was served by the canary (all stable)`,
    };
  }
  return { text, color: NORMAL, warning: false, title: `X-Canary: ${site.pr} for ${site.host}` };
}

export function withPr(settings: Settings, host: string, pr: string | null, enabled: boolean): Settings {
  const exists = settings.sites.some((s) => s.host === host);
  const sites = exists
    ? settings.sites.map((s) => (s.host === host ? { host, pr, enabled } : s))
    : [...settings.sites, { host, pr, enabled }];
  const recent = pr === null ? settings.recent : [pr, ...settings.recent.filter((r) => r !== pr)].slice(0, 5);
  return { sites, recent };
}

/**
 * PR N's preview hostname for a site: `pr-<N>.<host>` (the platform routes it to PR N at
 * every hop, for clients that cannot send a header). For the lab, `localhost` becomes
 * `pr-<N>.localhost`, which browsers resolve to this machine.
 */
export function previewUrl(host: string, pr: string, protocol = 'https:', port = ''): string {
  const name = host === '127.0.0.1' || host === '[::1]' ? 'localhost' : host;
  return `${protocol}//pr-${pr}.${name}${port === '' ? '' : `:${port}`}/`;
}
