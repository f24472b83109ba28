// The spans the services make themselves: one per HTTP request at the api, one per gRPC
// call on each side, with W3C trace context in the headers and the gRPC metadata. Cheaper
// than the automatic instrumentation (which patched http, grpc-js and Fastify and cost
// about 30% of throughput even at sampling 0: docs/benchmarks.md). Without the SDK
// (no OTLP endpoint) the API is a no-op and so is all of this.
import type { Metadata } from '@grpc/grpc-js';
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { CANARY_HEADER, parseCanaryKey } from 'canary-context';
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import { grpcLabels } from '../metrics.ts';

// One tracer for the process: the API hands out a proxy that follows the provider the
// telemetry preload registers. (Asking for it per span cost 3–5 µs per request.)
const tracer = trace.getTracer('service-kit');

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key).filter((v): v is string => typeof v === 'string');
    return values.length === 0 ? undefined : values;
  },
};
const metadataSetter: TextMapSetter<Metadata> = { set: (carrier, key, value) => carrier.set(key, value) };

/** gRPC status code 0..16 by number, for span status and attributes. */
const OK = 0;

interface RpcNaming {
  readonly name: string;
  readonly attributes: Attributes;
}
const namings = new Map<string, RpcNaming>();

/**
 * The span name and attributes of one RPC path, made once per path: a service calls and
 * serves a handful of methods (the map stops growing at 256 all the same).
 */
function rpcNaming(path: string): RpcNaming {
  let naming = namings.get(path);
  if (naming === undefined) {
    const { grpc_service, grpc_method } = grpcLabels(path);
    naming = {
      name: `grpc.${path.slice(1)}`,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': grpc_service, 'rpc.method': grpc_method },
    };
    if (namings.size < 256) namings.set(path, naming);
  }
  return naming;
}

// Attributes are set once the sampler has decided, and only on spans it records: the
// built-in samplers never read them, and most requests are not sampled.
function startRpcSpan(path: string, kind: SpanKind, parent: Context): Span {
  const { name, attributes } = rpcNaming(path);
  const span = tracer.startSpan(name, { kind }, parent);
  if (span.isRecording()) span.setAttributes(attributes);
  return span;
}

function endRpc(span: Span, code: number): void {
  if (span.isRecording()) {
    span.setAttribute('rpc.grpc.status_code', code);
    if (code !== OK) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

let parentBased: boolean | undefined;

/**
 * True when `ctx` holds a span context its trace decided not to sample and the sampler
 * follows the parent (OTEL_TRACES_SAMPLER parentbased_*, the SDK's default and what the
 * manifests set). A child span would then never be recorded: gRPC calls make none and
 * carry the caller's context on as it is (its trace id in the logs, its traceparent with
 * the not-sampled flag passed on), which saves the sampler, new ids and contexts on most
 * calls.
 */
function inUnsampledTrace(ctx: Context): boolean {
  parentBased ??= (process.env.OTEL_TRACES_SAMPLER || 'parentbased_always_on').startsWith('parentbased_');
  if (!parentBased) return false;
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && isSpanContextValid(parent) && (parent.traceFlags & TraceFlags.SAMPLED) === 0;
}

const noEnd = () => {};

/**
 * A client span for one outgoing call of `path` (`/package.Service/Method`), child of the
 * active span; its trace context goes into `metadata`. Call the returned function with the
 * call's status code when it ends.
 */
export function startGrpcClientSpan(path: string, metadata: Metadata): (code: number) => void {
  const active = context.active();
  if (inUnsampledTrace(active)) {
    propagation.inject(active, metadata, metadataSetter);
    return noEnd;
  }
  const span = startRpcSpan(path, SpanKind.CLIENT, active);
  propagation.inject(trace.setSpan(active, span), metadata, metadataSetter);
  return (code) => endRpc(span, code);
}

/**
 * A server span for one incoming call, child of the caller's span (from the metadata's
 * trace context); `run` executes inside it. Call `end` with the status code.
 */
export function startGrpcServerSpan(
  path: string,
  metadata: Metadata,
): { run<T>(fn: () => T): T; end(code: number): void } {
  const parent = propagation.extract(context.active(), metadata, metadataGetter);
  if (inUnsampledTrace(parent)) return { run: (fn) => context.with(parent, fn), end: noEnd };
  const span = startRpcSpan(path, SpanKind.SERVER, parent);
  const active: Context = trace.setSpan(parent, span);
  return { run: (fn) => context.with(active, fn), end: (code) => endRpc(span, code) };
}

const headerGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

interface WithSpan {
  [spanKey]?: Span;
}
const spanKey = Symbol('service-kit.span');

/**
 * Fastify: a server span per request (`GET /v1/items/:id`, by route template), child of
 * the caller's `traceparent`, active while the request is handled. Register it before
 * plugins that capture the request's async context (canary-context), so they carry it on.
 * Requests to `ignore` routes (the probes' route templates) get none.
 */
const plugin: FastifyPluginCallback<{ ignore?: readonly string[] }> = (app, options, done) => {
  const ignore = new Set(options.ignore ?? []);
  app.addHook('onRequest', (request, _reply, next) => {
    const route = request.routeOptions.url;
    if (route !== undefined && ignore.has(route)) {
      next();
      return;
    }
    const parent = propagation.extract(context.active(), request.headers, headerGetter);
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      { kind: SpanKind.SERVER },
      parent,
    );
    if (span.isRecording()) {
      // The canary context starts after this span: the key is read here.
      const key = parseCanaryKey(request.headers[CANARY_HEADER]);
      span.setAttributes({
        'http.request.method': request.method,
        ...(route === undefined ? {} : { 'http.route': route }),
        ...(key.kind === 'valid' ? { 'canary.pr': key.key } : {}),
      });
    }
    (request as WithSpan)[spanKey] = span;
    context.with(trace.setSpan(parent, span), next);
  });
  app.addHook('onResponse', (request, reply, next) => {
    const span = (request as WithSpan)[spanKey];
    if (span !== undefined) {
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', reply.statusCode);
        if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
    next();
  });
  done();
};

export const tracingFastifyPlugin = fp(plugin, { name: 'service-kit-tracing', fastify: '5.x' });
