import { UnrecoverableError } from 'bullmq';

/** A job whose payload does not validate can never succeed: it fails at once, without retries. */
export class InvalidJobPayloadError extends UnrecoverableError {
  override name = 'InvalidJobPayloadError';
}

type Check = (value: unknown) => boolean;

export const isString =
  (max = 4096): Check =>
  (value) =>
    typeof value === 'string' && value.length > 0 && value.length <= max;
export const isOptionalString =
  (max = 4096): Check =>
  (value) =>
    value === undefined || (typeof value === 'string' && value.length <= max);
export const isOneOf =
  (...allowed: readonly unknown[]): Check =>
  (value) =>
    allowed.includes(value);
export const isInteger =
  (min: number, max: number): Check =>
  (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
export const isBoolean: Check = (value) => typeof value === 'boolean';

/** Checks `data` field by field against `shape`; unknown fields are refused too. */
export function validatePayload<T>(kind: string, data: unknown, shape: Record<keyof T, Check>): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InvalidJobPayloadError(`${kind}: payload is not an object`);
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(key in shape)) throw new InvalidJobPayloadError(`${kind}: unexpected field "${key}"`);
  }
  for (const [key, check] of Object.entries(shape) as [string, Check][]) {
    if (!check(record[key])) throw new InvalidJobPayloadError(`${kind}: field "${key}" is missing or invalid`);
  }
  return record as T;
}
