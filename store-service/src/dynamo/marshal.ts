// Document form ↔ DynamoDB's typed JSON, for what the store writes: strings, finite
// numbers, booleans, null, lists and maps (no sets, no binary). Undefined values in maps
// are left out (as lib-dynamodb's removeUndefinedValues); numbers come back as numbers.
import type { Doc } from './documents.ts';

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> }
  | { SS: string[] }
  | { NS: string[] };

export function marshallValue(value: unknown): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value} in DynamoDB`);
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (value === null) return { NULL: true };
      if (Array.isArray(value)) return { L: value.map(marshallValue) };
      return { M: marshall(value as Doc) };
    default:
      throw new TypeError(`cannot store a ${typeof value} in DynamoDB`);
  }
}

export function marshall(doc: Doc): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const key in doc) {
    const value = doc[key];
    if (value !== undefined) out[key] = marshallValue(value);
  }
  return out;
}

export function unmarshallValue(value: AttributeValue): unknown {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('L' in value) return value.L.map(unmarshallValue);
  if ('M' in value) return unmarshall(value.M);
  if ('SS' in value) return new Set(value.SS);
  if ('NS' in value) return new Set(value.NS.map(Number));
  throw new TypeError(`unsupported DynamoDB attribute type ${Object.keys(value).join(',')}`);
}

export function unmarshall(item: Record<string, AttributeValue>): Doc {
  const out: Doc = {};
  for (const key in item) {
    const value = item[key];
    if (value !== undefined) out[key] = unmarshallValue(value);
  }
  return out;
}
