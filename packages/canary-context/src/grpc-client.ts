import { InterceptingCall, type Interceptor, type Metadata, type StatusObject } from '@grpc/grpc-js';
import { BAGGAGE_HEADER, canaryBaggage } from './baggage.ts';
import { currentCanaryContext } from './context.ts';
import { SERVED_BY_METADATA_KEY } from './identity.ts';
import { CANARY_METADATA_KEY } from './key.ts';

/**
 * grpc-js client interceptor: adds `x-canary` and `baggage: canary=<N>` from the current
 * request context to every outgoing call (and nothing else), and records the server's
 * `x-served-by` entries in that context.
 */
export const canaryClientInterceptor: Interceptor = (options, nextCall) => {
  const context = currentCanaryContext();
  return new InterceptingCall(nextCall(options), {
    start(metadata: Metadata, listener, next) {
      metadata.remove(CANARY_METADATA_KEY);
      metadata.remove(BAGGAGE_HEADER);
      if (context?.key !== undefined) {
        metadata.set(CANARY_METADATA_KEY, context.key);
        metadata.set(BAGGAGE_HEADER, canaryBaggage(context.key));
      }
      if (context === undefined) {
        next(metadata, listener);
        return;
      }
      next(metadata, {
        onReceiveStatus(status: StatusObject, nextStatus) {
          for (const value of status.metadata.get(SERVED_BY_METADATA_KEY)) {
            if (typeof value === 'string' && value !== '') context.downstream.push(value);
          }
          nextStatus(status);
        },
      });
    },
  });
};
