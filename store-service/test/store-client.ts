// Promise wrappers over the generated grpc-js client, for tests.
import * as grpc from '@grpc/grpc-js';
import { StoreServiceClient } from 'store-contract';

type Unary<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface CallResult<Res> {
  readonly response: Res;
  readonly trailers: grpc.Metadata;
}

export function connectStore(port: number) {
  const client = new StoreServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  function call<Req, Res>(method: Unary<Req, Res>, request: Req, metadata = new grpc.Metadata()) {
    return new Promise<CallResult<Res>>((resolve, reject) => {
      let trailers = new grpc.Metadata();
      const c = method.call(client, request, metadata, { deadline: Date.now() + 5000 }, (err, response) => {
        if (err) reject(err);
        else setImmediate(() => resolve({ response, trailers }));
      });
      c.on('status', (s: grpc.StatusObject) => {
        trailers = s.metadata;
      });
    });
  }
  return { client, call };
}
