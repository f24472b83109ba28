import { CATALOGUE_FILE, canaryNamespace, clusterAddress, STABLE_NAMESPACE } from 'service-catalogue';
import { asArray, at, type RenderedObject } from '../objects.ts';
import { containers, ofKind } from './scene.ts';
import { appItem, type ObjectRule, type Problem, perKind, type Scene } from './types.ts';

const imageRepository = (image: string) => image.replace(/[:@][^/]*$/, '');

/** A catalogue entry as the place of a finding about it. */
const entryItem = (name: string) => ({
  object: { apiVersion: 'service-catalogue', kind: 'Service', metadata: { name } },
  file: CATALOGUE_FILE,
});

/** The catalogue entry named like an object, if any. */
const entryNamed = (scene: Scene, name: string) => scene.context.catalogue.find((e) => e.name === name);

/** A Deployment of a catalogue service: its container, ports, image and downstream addresses. */
function* deploymentProblems(item: RenderedObject, scene: Scene): Generator<Problem> {
  const { object } = item;
  const entry = entryNamed(scene, object.metadata.name);
  if (entry === undefined) {
    yield {
      path: 'metadata.name',
      message: `Deployment ${object.metadata.name} is no service of the catalogue`,
      fix: 'add it to catalogue.yaml, or rename it after its catalogue entry',
    };
    return;
  }
  const main = containers(object).find((c) => c.name === entry.name);
  if (main === undefined) {
    yield {
      path: 'spec.template.spec.containers',
      message: `no container named ${entry.name}`,
      fix: `name the service's container ${entry.name}`,
    };
    return;
  }
  const ports = asArray(main.ports).map((p) => at(p, 'containerPort'));
  for (const [field, port] of [
    ['port', entry.port],
    ['metricsPort', entry.metricsPort],
  ] as const)
    if (!ports.includes(port))
      yield {
        path: 'spec.template.spec.containers[0].ports',
        message: `the catalogue's ${field} ${port} is no containerPort (${ports.join(', ')})`,
        fix: `expose ${port}, or correct catalogue.yaml`,
      };
  const { registry, catalogue } = scene.context;
  const repo = imageRepository(String(main.image ?? ''));
  if (repo !== `${registry}/${entry.image}`)
    yield {
      path: 'spec.template.spec.containers[0].image',
      message: `image ${repo} is not ${registry}/${entry.image} (platform registry + catalogue image)`,
      fix: 'use the catalogue image name',
    };
  const env = new Map(asArray(main.env).map((e) => [String(at(e, 'name')), at(e, 'value')]));
  for (const down of entry.downstreams) {
    const target = catalogue.find((e) => e.name === down.service);
    if (target === undefined) continue;
    const want = clusterAddress(target);
    if (env.get(down.env) !== want)
      yield {
        path: 'spec.template.spec.containers[0].env',
        message: `${down.env} is ${JSON.stringify(env.get(down.env) ?? null)}: calls to ${down.service} must go to its stable Service (${want}), which the mesh routes`,
        fix: `set ${down.env}: ${want}`,
      };
  }
}

/** A Service of a catalogue service: the catalogue's ports. */
function* serviceProblems(item: RenderedObject, scene: Scene): Generator<Problem> {
  const entry = entryNamed(scene, item.object.metadata.name);
  if (entry === undefined) return;
  const ports = asArray(at(item.object, 'spec', 'ports')).map((p) => at(p, 'port'));
  for (const port of [entry.port, entry.metricsPort])
    if (!ports.includes(port))
      yield {
        path: 'spec.ports',
        message: `port ${port} of the catalogue is not a port of the Service (${ports.join(', ')})`,
        fix: `add port ${port}, or correct catalogue.yaml`,
      };
}

export const catalogueAgreement: ObjectRule = {
  id: 'catalogue-agreement',
  description:
    'the manifests agree with the service catalogue: one stable Application per service, names, ports, images, downstream addresses, and canaries exactly for the labels a PR carries, in <prefix>-canary-pr-<N>',
  remediation: 'make the manifests (or catalogue.yaml) say the same',
  ...perKind({ Deployment: deploymentProblems, Service: serviceProblems }),
  *acrossScene(scene) {
    const { catalogue } = scene.context;
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
        yield {
          on: services ?? entryItem(entry.name),
          path: 'spec.generators',
          message: `${entry.name} has ${stable.length} stable Applications in ${scene.name} deploying it to ${STABLE_NAMESPACE} (expected exactly 1)`,
          fix: `give it kustomize/${entry.name}/stable and kustomize/${entry.name}/envs/${scene.name}`,
        };
    }
    for (const pr of scene.pullRequests) {
      const apps = scene.canary.filter((a) => a.pullRequest === pr.number);
      for (const entry of catalogue) {
        const labelled = pr.labels.includes(entry.label);
        const own = apps.filter((a) => a.destinationNamespace === canaryNamespace(entry, pr.number));
        if (labelled && own.length !== 1)
          yield {
            on: entryItem(entry.name),
            path: '',
            message: `PR ${pr.number} carries ${entry.label} but ${own.length} PR Applications deploy to ${canaryNamespace(entry, pr.number)}`,
            fix: 'generate one PR Application per labelled catalogue service (applications/canary/pr-canaries.yaml)',
          };
        if (!labelled && own.length > 0)
          yield {
            on: own[0] === undefined ? entryItem(entry.name) : appItem(own[0]),
            path: 'metadata.name',
            message: `PR ${pr.number} has no ${entry.label} label, yet a canary of ${entry.name} is generated`,
            fix: 'filter the PR generator by the catalogue label',
          };
      }
      for (const app of apps)
        if (!catalogue.some((e) => app.destinationNamespace === canaryNamespace(e, pr.number)))
          yield {
            on: appItem(app),
            path: 'spec.destination.namespace',
            message: `${app.destinationNamespace} is not <namespacePrefix>-canary-pr-${pr.number} of any catalogue service`,
            fix: 'derive the namespace from the catalogue entry',
          };
    }
  },
};

export const singleDefaultDatasource: ObjectRule = {
  id: 'single-default-datasource',
  description:
    'Grafana data source ConfigMaps add no second default and no second Prometheus (kube-prometheus-stack provisions uid prometheus, isDefault)',
  remediation: 'refer to uid prometheus instead of adding another data source',
  kinds: ['ConfigMap'],
  *check(item) {
    if (item.object.metadata.labels?.grafana_datasource === undefined) return;
    for (const [key, text] of Object.entries((at(item.object, 'data') ?? {}) as Record<string, string>)) {
      const sources = /datasources:/.test(text) ? text.split(/\n\s*- name:/).slice(1) : [];
      for (const source of sources) {
        const name = source.split('\n')[0]?.trim() ?? '?';
        if (/\n\s*isDefault:\s*true/.test(source))
          yield {
            path: `data.${key}`,
            message: `data source ${name} is isDefault: kube-prometheus-stack already provisions the default, and Grafana refuses to start with two`,
            fix: 'remove isDefault',
          };
        if (/\n\s*type:\s*prometheus\b/.test(source) || /\n\s*uid:\s*prometheus\b/.test(source))
          yield {
            path: `data.${key}`,
            message: `data source ${name} duplicates kube-prometheus-stack's Prometheus (uid prometheus)`,
          };
      }
    }
  },
};
