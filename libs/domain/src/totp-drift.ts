/** Steps accepted on each side of the expected one (RFC 6238 §5.2: ±1 step of 30 s). */
export const TOTP_WINDOW_STEPS = 1;
/** How far a device clock may be followed (RFC 6238 §6), so a window cannot wander off. */
export const MAX_DRIFT_STEPS = 10;

/**
 * The drift to remember after a successful verification. Verification centres its ±1 window on
 * the remembered drift, so a device whose clock runs slowly away stays usable.
 */
export function nextDrift(previousDriftSteps: number, matchedDeltaSteps: number): number {
  const drift = previousDriftSteps + matchedDeltaSteps;
  return Math.min(MAX_DRIFT_STEPS, Math.max(-MAX_DRIFT_STEPS, drift));
}
