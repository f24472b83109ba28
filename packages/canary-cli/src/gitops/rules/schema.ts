import { schemaProblems } from '../schemas.ts';
import { allApplications, allObjects } from './scene.ts';
import { appItem, finding, type Rule } from './types.ts';

export const schemaRule: Rule = {
  id: 'schema',
  description:
    'every object, generated Applications included, matches its pinned upstream schema strictly (unknown fields, types, enums)',
  remediation: '',
  legacy: (scene) => {
    const generated = allApplications(scene)
      .filter((a) => a.generatedBy !== undefined)
      .map(appItem);
    return [...allObjects(scene), ...generated].flatMap((item) =>
      schemaProblems(item.object).map((problem) =>
        finding(
          'schema',
          item,
          problem.path,
          problem.message,
          problem.suggestion !== undefined
            ? `rename it to ${problem.suggestion}`
            : problem.message.startsWith('unknown field')
              ? 'remove the field or correct its name (see the upstream API reference)'
              : `correct ${problem.path || 'the object'} as the upstream API defines it`,
        ),
      ),
    );
  },
};
