# frozen_string_literal: true

# A real Ruby gRPC client (Debian's ruby-grpc + the generated store-proto gem) against a
# running store-service. Prints one JSON object with what it saw; the Node test checks it.
# Usage: ruby -I packages/store-contract/ruby/lib client.rb HOST:PORT TOKEN
#
# Authentication: the store takes the tenant from the end user's JWT, sent with every call
# as metadata `authorization: Bearer <token>` (the api forwards the token it verified; any
# other client does the same). Without it a call is UNAUTHENTICATED; a tenant_id other
# than the token's tenant is PERMISSION_DENIED. Health and reflection need no token.
require 'json'
require 'grpc'
require 'store/v1/store_services_pb'

address = ARGV.fetch(0)
token = ARGV.fetch(1)
stub = Store::V1::StoreService::Stub.new(address, :this_channel_is_insecure, timeout: 5)
auth = { 'authorization' => "Bearer #{token}" }
canary = auth.merge('x-canary' => '42')

created = stub.create_item(
  Store::V1::CreateItemRequest.new(
    tenant_id: 'ruby', request_id: 'ruby-req-1', name: 'Programming Ruby', description: 'The Pickaxe',
    price_cents: 3999, category: :CATEGORY_BOOKS, inventory_count: 3, tags: %w[ruby books], user_id: 'matz'
  ),
  metadata: canary
)
op = stub.get_item(Store::V1::GetItemRequest.new(tenant_id: 'ruby', id: created.item.id),
                   return_op: true, metadata: auth)
got = op.execute
list = stub.list_items(Store::V1::ListItemsRequest.new(tenant_id: 'ruby', category: :CATEGORY_BOOKS, page_size: 10),
                       metadata: auth)

# The code and details of a call that fails.
def refused
  yield
  nil
rescue GRPC::BadStatus => e
  { code: e.code, details: e.details }
end

error = refused { stub.get_item(Store::V1::GetItemRequest.new(tenant_id: 'ruby', id: 'not-a-uuid'), metadata: auth) }
no_token = refused { stub.get_item(Store::V1::GetItemRequest.new(tenant_id: 'ruby', id: created.item.id)) }
other_tenant = refused do
  stub.get_item(Store::V1::GetItemRequest.new(tenant_id: 'another', id: created.item.id), metadata: auth)
end

puts JSON.generate(
  created: { id: created.item.id, created: created.created, version: created.item.version,
             category: created.item.category, status: created.item.status, tags: created.item.tags.to_a,
             created_at: created.item.created_at&.seconds },
  got: { id: got.item.id, name: got.item.name, price_cents: got.item.price_cents, created_by: got.item.created_by },
  served_by: op.trailing_metadata['x-served-by'],
  listed: list.items.map(&:id),
  error: error,
  no_token: no_token,
  other_tenant: other_tenant
)
