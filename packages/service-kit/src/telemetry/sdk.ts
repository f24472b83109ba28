import { basename, dirname } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { currentCanaryKey } from 'canary-context';
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
  // <service>/src/main.ts, or the image's <service>/dist/main.js
  const entry = process.argv[1] ?? 'service';
  return basename(dirname(dirname(entry)));
}

/**
 * Tracing with the OpenTelemetry SDK, configured by the standard variables:
 * OTEL_EXPORTER_OTLP_ENDPOINT (spans are exported over OTLP/HTTP), OTEL_TRACES_SAMPLER /
 * OTEL_TRACES_SAMPLER_ARG (default parent-based, always on), OTEL_BSP_* for batching.
 * The spans themselves are made by the services (spans.ts): no automatic instrumentation.
 * W3C trace context only: the canary key and its baggage member are propagated by
 * canary-context, which never forwards other incoming baggage.
 */
export function startTelemetry(): BasicTracerProvider {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName(),
      [ATTR_SERVICE_VERSION]: process.env.APP_VERSION ?? 'dev',
      'deployment.track': process.env.DEPLOYMENT_TRACK ?? 'stable',
    }),
    // OTLP/HTTP (protobuf, or JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json), batched per OTEL_BSP_*.
    spanProcessors: [new CanarySpanProcessor(), new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // Flush buffered spans when the service drains on SIGTERM.
  addShutdownTask(() => provider.shutdown());
  return provider;
}
