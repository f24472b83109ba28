import { UnsupportedRouteError } from './errors.ts';

/** The object's own keys, refusing any key the lab does not implement (named with its path). */
export function onlyKeys(value: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new UnsupportedRouteError(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new UnsupportedRouteError(`${where}.${key}: not supported by the lab`);
  }
  return value as Record<string, unknown>;
}
