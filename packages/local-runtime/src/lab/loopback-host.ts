// The lab answers for the manifests' API host on loopback: `localhost` (and the loopback
// addresses) stand for the API host, and `<name>.localhost` (which browsers and curl
// resolve to loopback) for `<name>.<API host>`, so `pr-123.localhost` is PR 123's preview
// hostname. One mapping, read in both directions: the emulated edge maps a request's Host
// to the host the routes name; the Traefik edge adds the loopback names to the routes.

/** Loopback names a Host header may carry. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/**
 * The loopback names a route's API host gets as aliases: the lab's Traefik listens on
 * 127.0.0.1 only, so an IPv6 literal never reaches it.
 */
const API_HOST_ALIASES = ['localhost', '127.0.0.1'] as const;
const LOCALHOST = 'localhost';

/**
 * The host a Host header addresses in the lab (lower case, port dropped; a fully
 * qualified name's trailing dot dropped, as Traefik matches it).
 */
export function hostFromLoopback(hostHeader: string | undefined, apiHost: string): string {
  const raw = (hostHeader ?? '').toLowerCase();
  const named = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : (raw.split(':')[0] ?? '');
  const host = named.endsWith('.') ? named.slice(0, -1) : named;
  if (LOOPBACK.has(host)) return apiHost;
  if (host.endsWith(`.${LOCALHOST}`)) return `${host.slice(0, -LOCALHOST.length)}${apiHost}`;
  return host;
}

/** The loopback names that stand for a host a route names: none for a host outside the API host's domain. */
export function loopbackAliases(routeHost: string, apiHost: string): readonly string[] {
  const host = routeHost.toLowerCase();
  const apex = apiHost.toLowerCase();
  if (host === apex) return API_HOST_ALIASES;
  if (host.endsWith(`.${apex}`)) return [`${host.slice(0, -apex.length)}${LOCALHOST}`];
  return [];
}
