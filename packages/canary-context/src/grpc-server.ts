import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import { createCanaryContext, runWithCanaryContext } from './context.ts';
import { SERVED_BY_METADATA_KEY, type ServiceIdentity, servedByEntry } from './identity.ts';
import { CANARY_METADATA_KEY, parseCanaryKey } from './key.ts';

function metadataStrings(metadata: Metadata, key: string): string[] {
  return metadata.get(key).filter((v): v is string => typeof v === 'string');
}

/**
 * grpc-js server interceptor: reads `x-canary` into the request context (invalid keys
 * are dropped: the call is served as stable), runs the handler inside that context and
 * returns this server's `x-served-by` entry, followed by those of the servers it called
 * meanwhile, in the trailers of every call, errors included.
 */
export function canaryServerInterceptor(identity: ServiceIdentity): ServerInterceptor {
  const ownEntry = servedByEntry(identity);
  return (_method, call: ServerInterceptingCallInterface) => {
    let context = createCanaryContext(undefined);
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const parsed = parseCanaryKey(metadataStrings(metadata, CANARY_METADATA_KEY));
            context = createCanaryContext(parsed.kind === 'valid' ? parsed.key : undefined);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            runWithCanaryContext(context, () => nextMessage(message));
          },
          onReceiveHalfClose(nextHalfClose) {
            runWithCanaryContext(context, () => nextHalfClose());
          },
        });
      },
      sendStatus(status, nextStatus) {
        const metadata = status.metadata ?? new Metadata();
        metadata.set(SERVED_BY_METADATA_KEY, [ownEntry, ...context.downstream].join(', '));
        nextStatus({ ...status, metadata });
      },
    });
  };
}
