export { BAGGAGE_CANARY_MEMBER, BAGGAGE_HEADER, canaryBaggage, canaryFromBaggage } from './baggage.ts';
export {
  type CanaryContext,
  createCanaryContext,
  currentCanaryContext,
  currentCanaryKey,
  runWithCanaryContext,
} from './context.ts';
export { type CanaryFastifyOptions, canaryFastifyPlugin } from './fastify.ts';
export { canaryClientInterceptor, recordServedBy, setCanaryMetadata } from './grpc-client.ts';
export { canaryServerInterceptor } from './grpc-server.ts';
export {
  isValidTrack,
  parseServedBy,
  SERVED_BY_HEADER,
  SERVED_BY_METADATA_KEY,
  type ServiceIdentity,
  servedByEntry,
} from './identity.ts';
export {
  CANARY_ECHO_HEADER,
  CANARY_ERROR_HEADER,
  CANARY_HEADER,
  CANARY_METADATA_KEY,
  type CanaryKeyError,
  isPrNumber,
  MAX_PR_NUMBER,
  MAX_RAW_KEY_LENGTH,
  type ParsedCanaryKey,
  PR_NUMBER,
  PR_NUMBER_PATTERN,
  parseCanaryKey,
} from './key.ts';
export {
  CANARY_IMAGE_TAG,
  canaryImageTag,
  canaryTrack,
  IMAGE_TAG_SHA_LENGTH,
  previewHost,
  previewPr,
  STABLE_TRACK,
  TRACK,
  trackPr,
} from './names.ts';
