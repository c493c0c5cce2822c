import type { ValueTransformer } from 'typeorm';

/** A short list of TOTP time steps as "58012345,58012346": the same text on PostgreSQL and SQLite. */
export const stepList: ValueTransformer = {
  to: (value: readonly number[] | null | undefined) => (value === null || value === undefined ? value : value.join(',')),
  from: (value: string | null) => (value === null || value === undefined ? null : value === '' ? [] : value.split(',').map(Number)),
};
