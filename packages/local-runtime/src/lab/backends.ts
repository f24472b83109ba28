import type { BackendRef } from 'routing-model';
import { prOfNamespace } from 'service-catalogue';

/** Where a Service reference (name + namespace) runs in the lab, if anywhere. */
export type Resolution =
  | { readonly kind: 'up'; readonly address: string }
  | { readonly kind: 'down'; readonly reason: string };

export type BackendResolver = (ref: BackendRef) => Resolution;

export const serviceKey = (ref: { name: string; namespace: string }) => `${ref.name}.${ref.namespace}`;

export function downMessage(ref: BackendRef, reason: string): string {
  const pr = prOfNamespace(ref.namespace);
  const who =
    pr === undefined
      ? `${ref.name}.${ref.namespace}`
      : `PR ${pr}'s ${ref.name} (${ref.name}.${ref.namespace})`;
  return `${who} is not serving (${reason}); its route is still in place and the mesh/edge does not fall back to stable`;
}
