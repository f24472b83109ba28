// Loaded with `node --import <this file> <service>/src/main.ts` (the images: the bundled
// dist/register.js), before the app: tracing is set up before the first request.
//
// Without OTEL_EXPORTER_OTLP_ENDPOINT (or with OTEL_SDK_DISABLED=true) nothing is loaded:
// spans would go nowhere, and the OpenTelemetry API stays a no-op.
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT && process.env.OTEL_SDK_DISABLED !== 'true') {
  const { startTelemetry } = await import('./sdk.ts');
  startTelemetry();
}

export {};
