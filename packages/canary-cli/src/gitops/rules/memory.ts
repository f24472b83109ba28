import { containerMemory, memoryCeiling, OUTSIDE_HEAP_MIB } from '../node-memory.ts';
import { allApplications, containers } from './scene.ts';
import { type Finding, finding, type Rule } from './types.ts';

const MiB = 2 ** 20;
const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;
const FIX = 'keep NODE_OPTIONS and resources together in kustomize/<service>/base/deployment.yaml';

export const nodeMemoryFits: Rule = {
  id: 'node-memory-fits',
  description:
    "every service container sets V8's heap (NODE_OPTIONS --max-old-space-size and --max-semi-space-size) so that heap + young generation + what lives outside the heap fits its memory limit, and requests at least the old-space cap",
  remediation: '',
  legacy: (scene) =>
    allApplications(scene).flatMap((app) =>
      app.objects
        .filter(({ object }) => object.kind === 'Deployment')
        .flatMap((item) =>
          containers(item.object).flatMap((c, i): Finding[] => {
            if (!scene.context.catalogue.some((e) => e.name === c.name)) return [];
            const path = `spec.template.spec.containers[${i}]`;
            const bad = (field: string, message: string) =>
              finding('node-memory-fits', item, `${path}.${field}`, message, FIX);
            const { flags, limit, request } = containerMemory(c);
            if (flags.oldSpaceMiB === undefined || flags.semiSpaceMiB === undefined)
              return [
                bad(
                  'env',
                  `NODE_OPTIONS does not set ${flags.oldSpaceMiB === undefined ? '--max-old-space-size' : '--max-semi-space-size'}: V8 then sizes the heap from the machine, not the container, and a busy pod grows past its limit (measured: about 350 MiB)`,
                ),
              ];
            const ceiling = memoryCeiling({
              oldSpaceMiB: flags.oldSpaceMiB,
              semiSpaceMiB: flags.semiSpaceMiB,
            });
            const out: Finding[] = [];
            if (limit !== undefined && limit < ceiling)
              out.push(
                bad(
                  'resources.limits.memory',
                  `limit ${mib(limit)} is below what the flags allow: old space ${flags.oldSpaceMiB} + young 3 × ${flags.semiSpaceMiB} + ${OUTSIDE_HEAP_MIB} outside the heap = ${mib(ceiling)}; the kernel would kill the pod before V8 collects`,
                ),
              );
            if (request !== undefined && request < flags.oldSpaceMiB * MiB)
              out.push(
                bad(
                  'resources.requests.memory',
                  `request ${mib(request)} is below the old-space cap of ${flags.oldSpaceMiB} MiB: the scheduler packs pods that cannot all grow to their heap`,
                ),
              );
            return out;
          }),
        ),
    ),
};
