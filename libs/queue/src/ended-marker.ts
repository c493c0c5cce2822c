/**
 * The gateway's mark that a challenge ended another way (a cancel, a deleted factor, a replaced
 * ownership check, a Duo passcode) while its delivery was still queued: a worker that finds it
 * sends nothing for that challenge (the otp worker draws no code, the telephony and email workers
 * send none drawn a moment before, the duo worker sends no push). It covers what the gateway
 * cannot take back from the queue itself: a job a worker holds at that moment, a job added just
 * after the withdrawal, and any later run of such a job (a retry, a stalled job run again). Set
 * for the rest of the challenge's lifetime plus a margin.
 *
 * The key says `duo-ended` because the duo worker was the first to read it; duo workers of the
 * previous release still look there during a rolling deploy, so the name stays.
 */
export const challengeEndedKey = (prefix: string, challengeId: string): string => `${prefix}:duo-ended:${challengeId}`;
