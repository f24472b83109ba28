/** W3C baggage header and the member that mirrors the routing key. */
export const BAGGAGE_HEADER = 'baggage';
export const BAGGAGE_CANARY_MEMBER = 'canary';

/** The baggage value sent with a routing key: exactly one member, `canary=<N>`. */
export function canaryBaggage(key: string): string {
  return `${BAGGAGE_CANARY_MEMBER}=${key}`;
}

/**
 * Reads the `canary` member of a W3C baggage header (for tools that only see baggage).
 * Routing never uses it: `X-Canary` is the routing truth.
 */
export function canaryFromBaggage(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const member of header.split(',')) {
    const [pair] = member.split(';', 1);
    const eq = pair?.indexOf('=') ?? -1;
    if (pair === undefined || eq < 0) continue;
    if (pair.slice(0, eq).trim() === BAGGAGE_CANARY_MEMBER) {
      return decodeURIComponent(pair.slice(eq + 1).trim());
    }
  }
  return undefined;
}
