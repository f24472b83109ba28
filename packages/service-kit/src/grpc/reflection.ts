import { readFileSync } from 'node:fs';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type DescriptorProto,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import type { Server, ServerDuplexStream, ServiceDefinition } from '@grpc/grpc-js';
import { REFLECTION_DESCRIPTOR_SET } from '../descriptors.ts';

const REFLECTION_SERVICES = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];
const NOT_FOUND = 5;

interface Indexed {
  /** Every file by name, with its bytes exactly as compiled. */
  readonly files: Map<string, { readonly proto: FileDescriptorProto; readonly bytes: Uint8Array }>;
  /** Fully qualified symbol (message, enum, service, method, extension) → file name. */
  readonly symbols: Map<string, string>;
}

function index(sets: readonly Uint8Array[]): Indexed {
  const files: Indexed['files'] = new Map();
  const symbols = new Map<string, string>();
  for (const set of sets) {
    for (const proto of fromBinary(FileDescriptorSetSchema, set).file) {
      if (files.has(proto.name)) continue;
      files.set(proto.name, { proto, bytes: toBinary(FileDescriptorProtoSchema, proto) });
      const prefix = proto.package === '' ? '' : `${proto.package}.`;
      const messages = (list: readonly DescriptorProto[], scope: string) => {
        for (const m of list) {
          symbols.set(`${scope}${m.name}`, proto.name);
          for (const e of m.enumType) symbols.set(`${scope}${m.name}.${e.name}`, proto.name);
          for (const x of m.extension) symbols.set(`${scope}${m.name}.${x.name}`, proto.name);
          messages(m.nestedType, `${scope}${m.name}.`);
        }
      };
      messages(proto.messageType, prefix);
      for (const e of proto.enumType) symbols.set(`${prefix}${e.name}`, proto.name);
      for (const x of proto.extension) symbols.set(`${prefix}${x.name}`, proto.name);
      for (const s of proto.service) {
        symbols.set(`${prefix}${s.name}`, proto.name);
        for (const m of s.method) symbols.set(`${prefix}${s.name}.${m.name}`, proto.name);
      }
    }
  }
  return { files, symbols };
}

/** A file and every file it imports, transitively, dependencies first. */
function withDependencies(indexed: Indexed, name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const entry = indexed.files.get(file);
    if (entry === undefined) return;
    for (const dep of entry.proto.dependency) visit(dep);
    out.push(entry.bytes);
  };
  visit(name);
  return out;
}

type Request = {
  host: string;
  messageRequest:
    | { case: 'fileByFilename' | 'fileContainingSymbol'; value: string }
    | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
    | { case: 'allExtensionNumbersOfType'; value: string }
    | { case: 'listServices'; value: string }
    | { case: undefined; value?: undefined };
};

/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) answered from compiled
 * FileDescriptorSets: clients get the files exactly as protoc/buf wrote them (their real
 * names, declared dependencies, proto3 optional fields), not descriptors re-derived at
 * run time. `services` are the ones this server serves; the reflection services are added.
 */
export function addReflection(
  server: Server,
  descriptorSets: readonly Uint8Array[],
  services: readonly string[],
): void {
  const reflectionSet = readFileSync(REFLECTION_DESCRIPTOR_SET);
  const indexed = index([...descriptorSets, reflectionSet]);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, reflectionSet));
  const listed = [...services, ...REFLECTION_SERVICES];

  for (const service of REFLECTION_SERVICES) {
    const pkg = service.slice(0, service.lastIndexOf('.'));
    const requestSchema = registry.getMessage(`${pkg}.ServerReflectionRequest`);
    const responseSchema = registry.getMessage(`${pkg}.ServerReflectionResponse`);
    if (requestSchema === undefined || responseSchema === undefined)
      throw new Error(`${service}: not in the reflection descriptor set`);
    const answer = (request: Request): Record<string, unknown> => {
      const notFound = (what: string) => ({
        case: 'errorResponse',
        value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
      });
      const files = (name: string | undefined, what: string) =>
        name === undefined || !indexed.files.has(name)
          ? notFound(what)
          : {
              case: 'fileDescriptorResponse',
              value: { fileDescriptorProto: withDependencies(indexed, name) },
            };
      const r = request.messageRequest;
      switch (r.case) {
        case 'fileByFilename':
          return files(r.value, `file ${r.value}`);
        case 'fileContainingSymbol':
          return files(indexed.symbols.get(r.value.replace(/^\./, '')), `symbol ${r.value}`);
        case 'listServices':
          return { case: 'listServicesResponse', value: { service: listed.map((name) => ({ name })) } };
        case 'allExtensionNumbersOfType':
          return indexed.symbols.has(r.value)
            ? { case: 'allExtensionNumbersResponse', value: { baseTypeName: r.value, extensionNumber: [] } }
            : notFound(`type ${r.value}`);
        case 'fileContainingExtension':
          return notFound(`extension ${r.value.extensionNumber} of ${r.value.containingType}`);
        default:
          return {
            case: 'errorResponse',
            value: { errorCode: 3, errorMessage: 'empty ServerReflectionRequest' },
          };
      }
    };
    const definition: ServiceDefinition = {
      ServerReflectionInfo: {
        path: `/${service}/ServerReflectionInfo`,
        requestStream: true,
        responseStream: true,
        requestSerialize: (value: Request) => Buffer.from(toBinary(requestSchema, value as never)),
        requestDeserialize: (bytes: Buffer) => fromBinary(requestSchema, bytes) as unknown as Request,
        responseSerialize: (value: Record<string, unknown>) =>
          Buffer.from(toBinary(responseSchema, create(responseSchema, value as never))),
        responseDeserialize: (bytes: Buffer) =>
          fromBinary(responseSchema, bytes) as unknown as Record<string, unknown>,
      },
    };
    server.addService(definition, {
      ServerReflectionInfo(call: ServerDuplexStream<Request, Record<string, unknown>>) {
        call.on('data', (request: Request) => {
          call.write({
            validHost: request.host,
            originalRequest: request,
            messageResponse: answer(request),
          });
        });
        call.on('end', () => call.end());
      },
    });
  }
}
