import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorJson, ItemJson } from '../items/schemas.ts';

/**
 * The API document: the shared schemas (Item, Error) that routes reference, the OpenAPI
 * description built from every route's schema, served at /openapi.json.
 */
export const openApiDocument = fp(
  async (app: FastifyInstance, options: { readonly version: string }) => {
    app.addSchema(ItemJson);
    app.addSchema(ErrorJson);
    await app.register(swagger, {
      // Components are named by their $id (Item, Error, …), never def-0.
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `Schema${i}`,
      },
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'api-service',
          version: options.version,
          description: 'Items REST API. Send X-Canary: <PR number> to reach that PR’s canaries at every hop.',
          license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        },
        servers: [
          {
            url: 'http://localhost:8080',
            description: 'the lab (npm start); a cluster serves it on its API host',
          },
        ],
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'from the environment’s issuer: the `tenant` claim names the tenant, `sub` the author',
            },
          },
        },
        security: [{ bearer: [] }],
      },
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi-document' },
);
