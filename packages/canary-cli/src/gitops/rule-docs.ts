// The rule table of docs/troubleshooting.md, generated from the rules' own metadata (id,
// kinds, description, remediation). verify.test.ts keeps the file equal to it; to update
// the file after changing a rule: bash scripts/run.sh node packages/canary-cli/src/gitops/rule-docs.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docsRuleTable } from './rules/index.ts';

export const TROUBLESHOOTING = 'docs/troubleshooting.md';
const BEGIN =
  '<!-- rule table: generated from the rules in packages/canary-cli/src/gitops/rules (rule-docs.ts) -->';
const END = '<!-- end of rule table -->';

/** The generated part of a document, or undefined when its markers are missing. */
export function ruleTableIn(text: string): string | undefined {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END, begin);
  return begin < 0 || end < 0 ? undefined : text.slice(begin + BEGIN.length, end).trim();
}

/** The document with its generated part replaced by the table of the rules as they are. */
export function withRuleTable(text: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END, begin);
  if (begin < 0 || end < 0) throw new Error(`${TROUBLESHOOTING} lacks the markers ${BEGIN} … ${END}`);
  return `${text.slice(0, begin + BEGIN.length)}\n${docsRuleTable()}\n${text.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = join(fileURLToPath(new URL('../../../..', import.meta.url)), TROUBLESHOOTING);
  writeFileSync(file, withRuleTable(readFileSync(file, 'utf8')));
  process.stdout.write(`${TROUBLESHOOTING}: rule table written\n`);
}
