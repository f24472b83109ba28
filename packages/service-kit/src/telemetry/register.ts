// Loaded with `node --import <this file> <service>/src/main.ts`, before the app, so the
// instrumentations patch grpc-js, http and Fastify as the app imports them. Under ESM that
// needs the import-in-the-middle hook; it is limited to the modules the instrumentations
// name, so the service's own TypeScript is never wrapped.
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

const { startTelemetry } = await import('./sdk.ts');
startTelemetry();
await waitForAllMessagesAcknowledged();
