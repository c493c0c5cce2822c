import type { DeviceChallenge } from '@mfa/authenticator-sdk';

const orDash = (value: string): string => (value === '' ? '-' : value);

/** A challenge as the user should see it before approving: what, where from, which browser. */
export function formatChallenge(challenge: DeviceChallenge): string[] {
  const { context } = challenge;
  return [
    `${challenge.id}  ${challenge.status}  expires ${orDash(challenge.expiresAt)}`,
    `  application  ${orDash(context.application)}`,
    `  action       ${orDash(context.action)}`,
    `  ip           ${orDash(context.ip)}`,
    `  location     ${orDash(context.location)}`,
    `  user agent   ${orDash(context.userAgent)}`,
    challenge.numberMatching ? '  number matching: approve with the number shown on the login screen' : '  number matching: off',
  ];
}
