/** A route the lab cannot evaluate faithfully: it stops rather than guess. */
export class UnsupportedRouteError extends Error {
  override name = 'UnsupportedRouteError';
}
