export * from '../gen/store/v1/store.ts';
export * from './enums.ts';
export * from './files.ts';
export * from './limits.ts';
