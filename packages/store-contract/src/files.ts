import { fileURLToPath } from 'node:url';

/** The proto source tree (import root), e.g. for protoc --proto_path. */
export const PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));

/**
 * store.proto and its imports compiled by buf into a FileDescriptorSet (binary), checked
 * in and kept equal to a fresh `buf build` by the package's test. Servers hand it to gRPC
 * reflection so clients see the real file names, dependencies and proto3 optional fields.
 */
export const DESCRIPTOR_SET_FILE = fileURLToPath(new URL('../descriptor/store.binpb', import.meta.url));

/** The Ruby gem's generated code (ruby -I this directory; require 'store/v1/store_services_pb'). */
export const RUBY_GEM_LIB = fileURLToPath(new URL('../ruby/lib', import.meta.url));
