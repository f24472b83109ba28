export { booleanFlag, ConfigError, identityEnv, parseEnv, port } from './env.ts';
export { exitOnBootFailure, handleShutdownSignals, logReady, READY_EVENT } from './lifecycle.ts';
export { createLogger, type Logger } from './logger.ts';
export { createRegistry, type MetricsEndpoint, startMetricsServer } from './metrics-server.ts';
