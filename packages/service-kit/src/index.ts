export {
  AUTHORIZATION_METADATA_KEY,
  type AuthConfig,
  authEnv,
  bearerToken,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  TOKEN_ALGORITHMS,
  type TokenClaims,
  TokenRejected,
  type TokenSettings,
  tokenSettings,
  tokenVerifier,
  type VerifyToken,
} from './auth.ts';
export { HEALTH_DESCRIPTOR_SET, REFLECTION_DESCRIPTOR_SET } from './descriptors.ts';
export { booleanFlag, ConfigError, identityEnv, parseEnv, port } from './env.ts';
export { addReflection } from './grpc/reflection.ts';
export {
  addShutdownTask,
  exitOnBootFailure,
  handleShutdownSignals,
  logReady,
  READY_EVENT,
} from './lifecycle.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  type GrpcClientMetrics,
  type GrpcServerMetrics,
  grpcClientMetrics,
  grpcLabels,
  grpcServerMetrics,
  type HttpServerMetrics,
  httpServerMetrics,
} from './metrics.ts';
export { createRegistry, type MetricsEndpoint, startMetricsServer } from './metrics-server.ts';
export { startGrpcClientSpan, startGrpcServerSpan, tracingFastifyPlugin } from './telemetry/spans.ts';
