import { TOTP_WINDOW_STEPS } from './codes';

/**
 * The TOTP time steps a factor has accepted, for replay protection: API.md refuses "a time step
 * already accepted … when presented again", and nothing more. A step the user never presented is
 * still good while it is in the window (a login with the current code right after the enrollment
 * was confirmed with the next one, from a phone a little ahead).
 *
 * Only steps a code can still be accepted for matter: the window is the server's step ±1, and
 * nothing above the window is ever accepted, so an accepted step lies at most two window widths
 * below the highest one. The record keeps that highest step and the accepted steps of that span.
 */
export interface AcceptedTotpSteps {
  /** Highest step accepted so far; null before the first accepted code. */
  last: number | null;
  /**
   * The accepted steps from `last - TOTP_REPLAY_SPAN` to `last`, `last` among them. Null, or a
   * list without `last` (a gateway of an earlier release moved `last` without it), means unknown:
   * then every step up to `last` counts as used, as that release treated them.
   */
  recent: readonly number[] | null;
}

/** How far below the highest accepted step another step of the window can lie. */
export const TOTP_REPLAY_SPAN = 2 * TOTP_WINDOW_STEPS;

const isKnown = (accepted: AcceptedTotpSteps): accepted is AcceptedTotpSteps & { recent: readonly number[] } =>
  accepted.last !== null && accepted.recent !== null && accepted.recent.includes(accepted.last);

/** True when a code of `step` would be a replay. */
export function isTotpStepUsed(accepted: AcceptedTotpSteps, step: number): boolean {
  if (accepted.last === null || step > accepted.last) return false;
  if (!isKnown(accepted) || step < accepted.last - TOTP_REPLAY_SPAN) return true;
  return accepted.recent.includes(step);
}

/** The record once a code of `step` (not used yet) is accepted. */
export function withTotpStepAccepted(accepted: AcceptedTotpSteps, step: number): { last: number; recent: number[] } {
  if (isTotpStepUsed(accepted, step)) throw new Error(`TOTP step ${step} was accepted already`);
  const last = accepted.last === null ? step : Math.max(accepted.last, step);
  // An unknown record keeps every step up to its `last` used: listed, while they are in the span.
  const before = accepted.last === null ? [] : isKnown(accepted) ? accepted.recent : stepsFrom(accepted.last - TOTP_REPLAY_SPAN, accepted.last);
  const recent = [...before, step].filter((s) => s >= last - TOTP_REPLAY_SPAN).sort((a, b) => a - b);
  return { last, recent };
}

function stepsFrom(first: number, last: number): number[] {
  const steps: number[] = [];
  for (let s = first; s <= last; s++) steps.push(s);
  return steps;
}
