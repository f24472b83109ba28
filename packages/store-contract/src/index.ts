export * from '../gen/store/v1/store.ts';
export * from './enums.ts';
export * from './error-metadata.ts';
export * from './files.ts';
export { outOfRangeInt64Field } from './int64.ts';
export * from './limits.ts';
export { DATA_STORE_HEALTH, STORE_SERVICE_NAME } from './service.ts';
