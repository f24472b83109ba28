import type { ObjectRule } from './types.ts';

/** DNS-1123 label: what a Namespace and a Service are named. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: what most other objects (Applications included) are named. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A label value: empty, or alphanumerics at both ends with `-`, `_`, `.` between. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** RBAC objects are named by path segments (`system:aggregate-to-view`). */
const PATH_SEGMENT_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** Why the API server would refuse an object's name, or undefined. */
export function nameProblem(kind: string, name: string): string | undefined {
  if (PATH_SEGMENT_NAMED.has(kind))
    return name === '' || name === '.' || name === '..' || /[/%]/.test(name)
      ? 'not a valid path segment name'
      : undefined;
  if (LABEL_NAMED.has(kind)) {
    if (name.length > 63) return `${name.length} characters: a DNS-1123 label has at most 63`;
    return DNS_LABEL.test(name) ? undefined : 'not a DNS-1123 label (lower case a-z, 0-9 and -)';
  }
  if (name.length > 253) return `${name.length} characters: a DNS-1123 subdomain has at most 253`;
  return DNS_SUBDOMAIN.test(name) ? undefined : 'not a DNS-1123 subdomain (lower case a-z, 0-9, - and .)';
}

/** Why the API server would refuse a label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `${value.length} characters: a label value has at most 63`;
  return LABEL_VALUE.test(value) ? undefined : 'not a label value (alphanumerics, -, _ and . between them)';
}

export const objectNames: ObjectRule = {
  id: 'object-names',
  description:
    'every rendered name (generated Applications included) and label value is one the API server accepts: a template that puts a branch (`.branch`, not `.branch_slug`) or a title into a name is refused',
  remediation:
    'build names from slugs (branch_slug, at most 50 characters, the PR number), never from a branch or title as typed',
  kinds: ['*'],
  *check({ object: { kind, metadata } }) {
    const why = nameProblem(kind, metadata.name);
    if (why !== undefined)
      yield { path: 'metadata.name', message: `"${metadata.name}" is ${why}: the API server refuses it` };
    const nsWhy = metadata.namespace === undefined ? undefined : nameProblem('Namespace', metadata.namespace);
    if (nsWhy !== undefined)
      yield {
        path: 'metadata.namespace',
        message: `namespace "${metadata.namespace}" is ${nsWhy}`,
        fix: 'build namespaces from slugs and the PR number',
      };
    for (const [key, value] of Object.entries(metadata.labels ?? {})) {
      const labelWhy = labelValueProblem(String(value));
      if (labelWhy !== undefined)
        yield {
          path: `metadata.labels.${key}`,
          message: `"${String(value)}" is ${labelWhy}: the API server refuses it`,
          fix: 'use branch_slug (at most 50 characters) or the PR number',
        };
    }
  },
};
