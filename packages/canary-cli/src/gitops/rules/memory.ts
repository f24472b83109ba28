import { CANARY_PROFILE, containerMemory, memoryCeiling, OUTSIDE_HEAP_MIB } from '../node-memory.ts';
import { containers } from './scene.ts';
import type { ObjectRule } from './types.ts';

const MiB = 2 ** 20;
const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;

export const nodeMemoryFits: ObjectRule = {
  id: 'node-memory-fits',
  description:
    "every service container sets V8's heap (NODE_OPTIONS --max-old-space-size and --max-semi-space-size) so that heap + young generation + what lives outside the heap fits its memory limit, and requests at least the old-space cap",
  remediation: 'keep NODE_OPTIONS and resources together in kustomize/<service>/base/deployment.yaml',
  kinds: ['Deployment'],
  *check(item, scene, app) {
    // A PR canary's heap flags and resources come from the canary profile, not its Deployment.
    const fix = app?.fromPullRequestHead
      ? `the canary layer sets NODE_OPTIONS and resources of every PR canary: keep them together in ${CANARY_PROFILE}`
      : undefined;
    const at = (problem: { path: string; message: string }) =>
      fix === undefined ? problem : { ...problem, fix };
    for (const [i, c] of containers(item.object).entries()) {
      if (!scene.context.catalogue.some((e) => e.name === c.name)) continue;
      const path = `spec.template.spec.containers[${i}]`;
      const { flags, limit, request } = containerMemory(c);
      if (flags.oldSpaceMiB === undefined || flags.semiSpaceMiB === undefined) {
        yield at({
          path: `${path}.env`,
          message: `NODE_OPTIONS does not set ${flags.oldSpaceMiB === undefined ? '--max-old-space-size' : '--max-semi-space-size'}: V8 then sizes the heap from the machine, not the container, and a busy pod grows past its limit (measured: about 350 MiB)`,
        });
        continue;
      }
      const ceiling = memoryCeiling({ oldSpaceMiB: flags.oldSpaceMiB, semiSpaceMiB: flags.semiSpaceMiB });
      if (limit !== undefined && limit < ceiling)
        yield at({
          path: `${path}.resources.limits.memory`,
          message: `limit ${mib(limit)} is below what the flags allow: old space ${flags.oldSpaceMiB} + young 3 × ${flags.semiSpaceMiB} + ${OUTSIDE_HEAP_MIB} outside the heap = ${mib(ceiling)}; the kernel would kill the pod before V8 collects`,
        });
      if (request !== undefined && request < flags.oldSpaceMiB * MiB)
        yield at({
          path: `${path}.resources.requests.memory`,
          message: `request ${mib(request)} is below the old-space cap of ${flags.oldSpaceMiB} MiB: the scheduler packs pods that cannot all grow to their heap`,
        });
    }
  },
};
