// Loaded with `node --import <this file> <service>/src/main.ts`, before the app, so the
// instrumentations patch grpc-js, http and Fastify as the app imports them. Under ESM that
// needs the import-in-the-middle hook; it is limited to the modules the instrumentations
// name, so the service's own TypeScript is never wrapped.
//
// Without OTEL_EXPORTER_OTLP_ENDPOINT (or with OTEL_SDK_DISABLED=true) nothing is loaded:
// spans would go nowhere, and the SDK costs about a second of start-up and 50 MiB.
import { register } from 'node:module';

if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT && process.env.OTEL_SDK_DISABLED !== 'true') {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const { startTelemetry } = await import('./sdk.ts');
  startTelemetry();
  await waitForAllMessagesAcknowledged();
}
