import { InitialSchema1732752000000 } from './1732752000000-initial-schema';

export const MIGRATIONS = [InitialSchema1732752000000];
