// Written by build.ts from manifests-microservices/platform (the dev host) and canary-context.
export const DEFAULT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', 'api.int-001.example.com'];
export const CANARY_HEADER = 'x-canary';
export const CANARY_ECHO_HEADER = 'x-canary-echo';
export const CANARY_ERROR_HEADER = 'x-canary-error';
export const SERVED_BY_HEADER = 'x-served-by';
export const PR_NUMBER = /^[1-9][0-9]{0,9}$/;
