import { schemaProblems } from '../schemas.ts';
import type { ObjectRule } from './types.ts';

export const schemaRule: ObjectRule = {
  id: 'schema',
  description:
    'every object, generated Applications included, matches its pinned upstream schema strictly: unknown fields (the API server would drop them silently; the message suggests the field likely meant), types, enums, required fields',
  remediation:
    'correct the field as the upstream API defines it (a new kind needs its model in gitops/schemas.ts)',
  kinds: ['*'],
  check: (item) =>
    schemaProblems(item.object).map(({ path, message, suggestion }) => ({
      path,
      message,
      fix:
        suggestion !== undefined
          ? `rename it to ${suggestion}`
          : message.startsWith('unknown field')
            ? 'remove the field or correct its name (see the upstream API reference)'
            : `correct ${path || 'the object'} as the upstream API defines it`,
    })),
};
