import { CATALOGUE_FILE, canaryNamespace, clusterAddress, STABLE_NAMESPACE } from 'service-catalogue';
import { asArray, at } from '../objects.ts';
import { allApplications, containers, ofKind } from './scene.ts';
import { appItem, type Finding, finding, type Rule } from './types.ts';

const imageRepository = (image: string) => image.replace(/[:@][^/]*$/, '');

/** A catalogue entry as the place of a finding about it. */
const entryItem = (name: string) => ({
  object: { apiVersion: 'service-catalogue', kind: 'Service', metadata: { name } },
  file: CATALOGUE_FILE,
});

export const catalogueAgreement: Rule = {
  id: 'catalogue-agreement',
  description:
    'the manifests agree with the service catalogue: one stable Application per service, names, ports, images, downstream addresses, and canaries exactly for the labels a PR carries, in <prefix>-canary-pr-<N>',
  remediation: '',
  legacy: (scene) => {
    const out: Finding[] = [];
    const { catalogue, registry } = scene.context;
    const services = ofKind(scene.argo, 'ApplicationSet').find(
      ({ object }) => object.metadata.name === 'services',
    );
    for (const entry of catalogue) {
      const stable = scene.stable.filter((app) =>
        app.objects.some(
          ({ object }) =>
            object.kind === 'Deployment' &&
            object.metadata.name === entry.name &&
            object.metadata.namespace === STABLE_NAMESPACE,
        ),
      );
      if (stable.length !== 1)
        out.push(
          finding(
            'catalogue-agreement',
            services ?? entryItem(entry.name),
            'spec.generators',
            `${entry.name} has ${stable.length} stable Applications in ${scene.name} deploying it to ${STABLE_NAMESPACE} (expected exactly 1)`,
            `give it kustomize/${entry.name}/stable and kustomize/${entry.name}/envs/${scene.name}`,
          ),
        );
    }
    for (const app of allApplications(scene)) {
      for (const item of app.objects) {
        const { object } = item;
        if (object.kind === 'Deployment') {
          const entry = catalogue.find((e) => e.name === object.metadata.name);
          if (entry === undefined) {
            out.push(
              finding(
                'catalogue-agreement',
                item,
                'metadata.name',
                `Deployment ${object.metadata.name} is no service of the catalogue`,
                'add it to catalogue.yaml, or rename it after its catalogue entry',
              ),
            );
            continue;
          }
          const main = containers(object).find((c) => c.name === entry.name);
          if (main === undefined) {
            out.push(
              finding(
                'catalogue-agreement',
                item,
                'spec.template.spec.containers',
                `no container named ${entry.name}`,
                `name the service's container ${entry.name}`,
              ),
            );
            continue;
          }
          const ports = asArray(main.ports).map((p) => at(p, 'containerPort'));
          for (const [field, port] of [
            ['port', entry.port],
            ['metricsPort', entry.metricsPort],
          ] as const)
            if (!ports.includes(port))
              out.push(
                finding(
                  'catalogue-agreement',
                  item,
                  'spec.template.spec.containers[0].ports',
                  `the catalogue's ${field} ${port} is no containerPort (${ports.join(', ')})`,
                  `expose ${port}, or correct catalogue.yaml`,
                ),
              );
          const repo = imageRepository(String(main.image ?? ''));
          if (repo !== `${registry}/${entry.image}`)
            out.push(
              finding(
                'catalogue-agreement',
                item,
                'spec.template.spec.containers[0].image',
                `image ${repo} is not ${registry}/${entry.image} (platform registry + catalogue image)`,
                'use the catalogue image name',
              ),
            );
          const env = new Map(asArray(main.env).map((e) => [String(at(e, 'name')), at(e, 'value')]));
          for (const down of entry.downstreams) {
            const target = catalogue.find((e) => e.name === down.service);
            if (target === undefined) continue;
            const want = clusterAddress(target);
            if (env.get(down.env) !== want)
              out.push(
                finding(
                  'catalogue-agreement',
                  item,
                  'spec.template.spec.containers[0].env',
                  `${down.env} is ${JSON.stringify(env.get(down.env) ?? null)}: calls to ${down.service} must go to its stable Service (${want}), which the mesh routes`,
                  `set ${down.env}: ${want}`,
                ),
              );
          }
        }
        if (object.kind === 'Service') {
          const entry = catalogue.find((e) => e.name === object.metadata.name);
          if (entry === undefined) continue;
          const ports = asArray(at(object, 'spec', 'ports')).map((p) => at(p, 'port'));
          for (const port of [entry.port, entry.metricsPort])
            if (!ports.includes(port))
              out.push(
                finding(
                  'catalogue-agreement',
                  item,
                  'spec.ports',
                  `port ${port} of the catalogue is not a port of the Service (${ports.join(', ')})`,
                  `add port ${port}, or correct catalogue.yaml`,
                ),
              );
        }
      }
    }
    for (const pr of scene.pullRequests) {
      const apps = scene.canary.filter((a) => a.pullRequest === pr.number);
      for (const entry of catalogue) {
        const labelled = pr.labels.includes(entry.label);
        const own = apps.filter((a) => a.destinationNamespace === canaryNamespace(entry, pr.number));
        if (labelled && own.length !== 1)
          out.push(
            finding(
              'catalogue-agreement',
              entryItem(entry.name),
              '',
              `PR ${pr.number} carries ${entry.label} but ${own.length} PR Applications deploy to ${canaryNamespace(entry, pr.number)}`,
              'generate one PR Application per labelled catalogue service (applications/canary/pr-canaries.yaml)',
            ),
          );
        if (!labelled && own.length > 0)
          out.push(
            finding(
              'catalogue-agreement',
              own[0] === undefined ? entryItem(entry.name) : appItem(own[0]),
              'metadata.name',
              `PR ${pr.number} has no ${entry.label} label, yet a canary of ${entry.name} is generated`,
              'filter the PR generator by the catalogue label',
            ),
          );
      }
      for (const app of apps) {
        const entry = catalogue.find((e) => app.destinationNamespace === canaryNamespace(e, pr.number));
        if (entry === undefined)
          out.push(
            finding(
              'catalogue-agreement',
              appItem(app),
              'spec.destination.namespace',
              `${app.destinationNamespace} is not <namespacePrefix>-canary-pr-${pr.number} of any catalogue service`,
              'derive the namespace from the catalogue entry',
            ),
          );
      }
    }
    return out;
  },
};

export const singleDefaultDatasource: Rule = {
  id: 'single-default-datasource',
  description:
    'Grafana data source ConfigMaps add no second default and no second Prometheus (kube-prometheus-stack provisions uid prometheus, isDefault)',
  remediation: '',
  legacy: (scene) =>
    allApplications(scene)
      .flatMap((a) => a.objects)
      .filter(
        ({ object }) =>
          object.kind === 'ConfigMap' && object.metadata.labels?.grafana_datasource !== undefined,
      )
      .flatMap((item) =>
        Object.entries((at(item.object, 'data') ?? {}) as Record<string, string>).flatMap(([key, text]) => {
          const sources = /datasources:/.test(text) ? text.split(/\n\s*- name:/).slice(1) : [];
          const out: Finding[] = [];
          for (const source of sources) {
            const name = source.split('\n')[0]?.trim() ?? '?';
            if (/\n\s*isDefault:\s*true/.test(source))
              out.push(
                finding(
                  'single-default-datasource',
                  item,
                  `data.${key}`,
                  `data source ${name} is isDefault: kube-prometheus-stack already provisions the default, and Grafana refuses to start with two`,
                  'remove isDefault',
                ),
              );
            if (/\n\s*type:\s*prometheus\b/.test(source) || /\n\s*uid:\s*prometheus\b/.test(source))
              out.push(
                finding(
                  'single-default-datasource',
                  item,
                  `data.${key}`,
                  `data source ${name} duplicates kube-prometheus-stack's Prometheus (uid prometheus)`,
                  'refer to uid prometheus instead of adding another',
                ),
              );
          }
          return out;
        }),
      ),
};
