import { findGo, MissingGoError } from 'upstream-tools';

/**
 * Skip reason when Go is missing outside CI (the cluster layer builds the control plane
 * from Go modules); under CI=true a missing Go fails the run: CI installs what tests need.
 */
export const goMissing: false | string = await findGo().then(
  () => false as const,
  (err: Error) => {
    if (process.env.CI === 'true' || !(err instanceof MissingGoError)) throw err;
    return err.message;
  },
);
