import { goSkipReason } from 'upstream-tools';

/** Skip reason when Go is missing outside CI (the cluster layer builds the control plane from Go modules). */
export const goMissing: false | string = await goSkipReason();
