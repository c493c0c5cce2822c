import { DEFAULT_POLICY, normalizePolicy, type Policy } from '@mfa/domain';

/** Stored policies are normalised again on read, so a default added later applies to old rows. */
export function decodePolicy(json: string | null): Policy {
  if (!json) return { ...DEFAULT_POLICY, allowedFactorTypes: [], smsAllowedCountries: [] };
  return normalizePolicy(JSON.parse(json) as Policy, 'stored');
}

export function encodePolicy(policy: Policy): string {
  return JSON.stringify(policy);
}
