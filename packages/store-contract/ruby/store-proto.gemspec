# frozen_string_literal: true

# Ruby client for store.v1.StoreService, generated from ../proto/store/v1/store.proto by generate.sh
# (Debian's protoc and grpc_ruby_plugin). Do not edit lib/ by hand: change the proto and
# regenerate; the test suite fails when lib/ is out of date.
Gem::Specification.new do |spec|
  spec.name = 'store-proto'
  spec.version = '0.1.0'
  spec.summary = 'gRPC client and messages for store.v1.StoreService'
  spec.description = 'Generated Ruby protobuf messages and gRPC service stubs for the PR-canary store-service.'
  spec.authors = ['PR canary maintainers']
  spec.license = 'Apache-2.0'
  spec.files = Dir['lib/**/*.rb']
  spec.require_paths = ['lib']
  spec.required_ruby_version = '>= 3.0'
  spec.add_dependency 'google-protobuf', '>= 3.21', '< 5'
  spec.add_dependency 'grpc', '>= 1.51', '< 2'
end
