// Written by build.ts from manifests-microservices/platform (the dev host).
export const DEFAULT_HOSTS: readonly string[] = ['localhost', '127.0.0.1', 'api.int-001.example.com'];
