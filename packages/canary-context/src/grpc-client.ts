import { InterceptingCall, type Interceptor, type Metadata, type StatusObject } from '@grpc/grpc-js';
import { BAGGAGE_HEADER, canaryBaggage } from './baggage.ts';
import { type CanaryContext, currentCanaryContext } from './context.ts';
import { SERVED_BY_METADATA_KEY } from './identity.ts';
import { CANARY_METADATA_KEY } from './key.ts';

/**
 * Sets `x-canary` and `baggage: canary=<N>` on an outgoing call's metadata from a request
 * context (and removes any the caller set): the key travels, nothing else does.
 */
export function setCanaryMetadata(metadata: Metadata, context: CanaryContext | undefined): void {
  metadata.remove(CANARY_METADATA_KEY);
  metadata.remove(BAGGAGE_HEADER);
  if (context?.key !== undefined) {
    metadata.set(CANARY_METADATA_KEY, context.key);
    metadata.set(BAGGAGE_HEADER, canaryBaggage(context.key));
  }
}

/** Records the `x-served-by` entries of a call's trailers in the request context. */
export function recordServedBy(context: CanaryContext | undefined, trailers: Metadata): void {
  if (context === undefined) return;
  for (const value of trailers.get(SERVED_BY_METADATA_KEY)) {
    if (typeof value === 'string' && value !== '') context.downstream.push(value);
  }
}

/**
 * grpc-js client interceptor doing both for every call of a client: for clients whose
 * calls go through one wrapper, calling the two functions there is cheaper (an
 * interceptor adds a call object per call; the api does that).
 */
export const canaryClientInterceptor: Interceptor = (options, nextCall) => {
  const context = currentCanaryContext();
  return new InterceptingCall(nextCall(options), {
    start(metadata: Metadata, listener, next) {
      setCanaryMetadata(metadata, context);
      if (context === undefined) {
        next(metadata, listener);
        return;
      }
      next(metadata, {
        onReceiveStatus(status: StatusObject, nextStatus) {
          recordServedBy(context, status.metadata);
          nextStatus(status);
        },
      });
    },
  });
};
