import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import protobuf from 'protobufjs';
import type { GrpcIndex } from './rules/types.ts';

const SKIP = new Set(['node_modules', '.git', '.tools', '.lab', '.data', 'gen', 'ruby']);

function protoFiles(root: string, dir = root, depth = 0): string[] {
  if (depth > 6) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory())
      return SKIP.has(entry.name) ? [] : protoFiles(root, join(dir, entry.name), depth + 1);
    return entry.isFile() && entry.name.endsWith('.proto') ? [join(dir, entry.name)] : [];
  });
}

/** Every gRPC service the repository's .proto files define, with its methods. */
export function grpcIndex(root: string): GrpcIndex {
  const index = new Map<string, string[]>();
  for (const file of protoFiles(root)) {
    let parsed: protobuf.Root;
    try {
      parsed = new protobuf.Root().loadSync(file, { keepCase: true });
    } catch (err) {
      throw new Error(`${relative(root, file)}: ${(err as Error).message}`);
    }
    const walk = (node: protobuf.ReflectionObject) => {
      if (node instanceof protobuf.Service)
        index.set(node.fullName.replace(/^\./, ''), Object.keys(node.methods));
      if (node instanceof protobuf.Namespace) for (const child of node.nestedArray) walk(child);
    };
    walk(parsed);
  }
  return index;
}
