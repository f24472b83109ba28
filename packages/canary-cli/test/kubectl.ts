import { requireTool } from 'test-harness/tools';

/** Skip reason when kubectl is missing outside CI; under CI=true a missing kubectl fails the run. */
export const kubectlMissing = await requireTool(
  'kubectl',
  ['version', '--client=true'],
  'kubectl (not packaged by Debian: install it from the Kubernetes release or your distribution)',
);
