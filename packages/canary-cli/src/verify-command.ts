import { checkKubectl } from './gitops/kustomize.ts';
import { RULES } from './gitops/rules.ts';
import { verifyRepository } from './gitops/verify.ts';

/** Renders every environment and the sample PRs, runs every rule, prints findings and a summary. */
export async function verifyCommand(repoRoot: string): Promise<number> {
  await checkKubectl();
  const progress = (line: string) => process.stderr.write(`verify: ${line}\n`);
  const report = await verifyRepository(repoRoot, progress);
  for (const f of report.findings) {
    process.stdout.write(`✖ [${f.rule}] ${f.file}: ${f.object}: ${f.message}\n`);
  }
  const canary = report.scenes.reduce((n, s) => n + s.canary.length, 0);
  const failed = new Set(report.findings.map((f) => f.rule));
  process.stdout.write(
    `verify: ${report.objectCount} objects in ${report.scenes.length} environments and ${canary} PR Applications; ` +
      `${RULES.length} rules, ${RULES.length - failed.size} passed, ${failed.size} failed (${report.findings.length} findings)\n`,
  );
  return report.findings.length === 0 ? 0 : 1;
}
