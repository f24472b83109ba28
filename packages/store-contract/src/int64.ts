import { readFileSync } from 'node:fs';
import { createFileRegistry, type DescMessage, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { DESCRIPTOR_SET_FILE } from './files.ts';

// The generated TypeScript holds int64 as number (exact up to 2^53-1) and throws on larger
// values while decoding. This reads the same bytes with 64-bit integers to name the field
// instead, so the server can answer INVALID_ARGUMENT for it, not INTERNAL.
let registry: ReturnType<typeof createFileRegistry> | undefined;
const schemas = () => {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(DESCRIPTOR_SET_FILE)));
  return registry;
};

function unsafeField(
  schema: DescMessage,
  message: Record<string, unknown>,
  prefix: string,
): string | undefined {
  for (const field of schema.fields) {
    const value = message[field.localName];
    const path = `${prefix}${field.name}`;
    if (
      typeof value === 'bigint' &&
      (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    )
      return path;
    if (field.fieldKind === 'message' && value !== undefined && value !== null) {
      const nested = unsafeField(field.message, value as Record<string, unknown>, `${path}.`);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}

/**
 * For a request of `messageType` (e.g. `store.v1.UpdateInventoryRequest`) that the generated
 * decoder refused: the first int64 field outside ±(2^53-1), by its proto name, or undefined
 * when the bytes are malformed in another way.
 */
export function outOfRangeInt64Field(messageType: string, bytes: Uint8Array): string | undefined {
  const schema = schemas().getMessage(messageType);
  if (schema === undefined) return undefined;
  try {
    return unsafeField(schema, fromBinary(schema, bytes) as unknown as Record<string, unknown>, '');
  } catch {
    return undefined;
  }
}
