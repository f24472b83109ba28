/** A Kubernetes object as rendered (plain data): what every provider reads. */
export interface PlatformObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
}

/** `Kind namespace/name` (namespace `default` when the object names none), for messages. */
export const objectId = (o: PlatformObject): string =>
  `${o.kind} ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

/** A Service a route sends to (name and namespace resolved, port as written). */
export interface BackendRef {
  readonly name: string;
  readonly namespace: string;
  readonly port: string | number;
}

/** A route the lab cannot evaluate faithfully: it stops rather than guess. */
export class UnsupportedRouteError extends Error {
  override name = 'UnsupportedRouteError';
}

/**
 * Reads plain objects field by field and records, instead of throwing, every key the
 * model does not know (`<where>.<key>: not supported by the lab`). Readers stay total
 * (verify reads what is there); the lab refuses an object with any such problem.
 */
export class FieldReader {
  readonly problems: string[] = [];

  /** The object's own keys; unknown keys are recorded. Not an object: recorded, read as {}. */
  keys(value: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problems.push(`${where}: expected an object`);
      return {};
    }
    for (const key of Object.keys(value))
      if (!allowed.includes(key)) this.problems.push(`${where}.${key}: not supported by the lab`);
    return value as Record<string, unknown>;
  }

  /** An optional object field: undefined when absent, otherwise read like `keys`. */
  optional(value: unknown, allowed: readonly string[], where: string): Record<string, unknown> | undefined {
    return value === undefined ? undefined : this.keys(value, allowed, where);
  }
}

export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A map of header name → value as written (non-string values dropped). */
export const stringMap = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

/**
 * Typed views are read once per rendered object: a reader memoises by object identity,
 * so the lab, verify's rules and explain share one reading of each object.
 */
export function memo<T>(read: (o: PlatformObject) => T): (o: PlatformObject) => T {
  const cache = new WeakMap<PlatformObject, T>();
  return (o) => {
    const cached = cache.get(o);
    if (cached !== undefined) return cached;
    const value = read(o);
    cache.set(o, value);
    return value;
  };
}
