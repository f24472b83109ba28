import { basename, dirname } from 'node:path';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { CANARY_HEADER, currentCanaryKey, parseCanaryKey } from 'canary-context';
import { addShutdownTask } from '../lifecycle.ts';

/** Marks every span started inside a request that carries a canary key with `canary.pr`. */
class CanarySpanProcessor implements SpanProcessor {
  onStart(span: Span): void {
    const key = currentCanaryKey();
    if (key !== undefined) span.setAttribute('canary.pr', key);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function serviceName(): string {
  if (process.env.OTEL_SERVICE_NAME) return process.env.OTEL_SERVICE_NAME;
  // <service>/src/main.ts
  const entry = process.argv[1] ?? 'service';
  return basename(dirname(dirname(entry)));
}

/**
 * Tracing with the OpenTelemetry SDK, configured by the standard variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT (spans are exported over OTLP/HTTP only when set),
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parent-based, always on),
 * OTEL_BSP_* for batching. Without an endpoint spans still exist (their ids go into
 * log lines and traceparent headers) but nothing is sent.
 */
export function startTelemetry(): NodeSDK {
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // Trace context only: the canary key and its baggage member are propagated by
  // canary-context, which never forwards other incoming baggage.
  process.env.OTEL_PROPAGATORS ??= 'tracecontext';
  process.env.OTEL_TRACES_SAMPLER ??= 'parentbased_always_on';
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName(),
      [ATTR_SERVICE_VERSION]: process.env.APP_VERSION ?? 'dev',
      'deployment.track': process.env.DEPLOYMENT_TRACK ?? 'stable',
    }),
    // OTLP/HTTP (protobuf, or JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json), batched per OTEL_BSP_*.
    spanProcessors: [
      new CanarySpanProcessor(),
      ...(process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? [new BatchSpanProcessor(new OTLPTraceExporter())] : []),
    ],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? ''),
        // Background calls (the store's health ping to DynamoDB) start no traces of their own.
        requireParentforOutgoingSpans: true,
        // The server span starts before the request context exists: read the key here.
        startIncomingSpanHook(request) {
          const parsed = parseCanaryKey(request.headers[CANARY_HEADER]);
          return parsed.kind === 'valid' ? { 'canary.pr': parsed.key } : {};
        },
      }),
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
    ],
  });
  sdk.start();
  // Flush buffered spans when the service drains on SIGTERM.
  addShutdownTask(() => sdk.shutdown());
  return sdk;
}
