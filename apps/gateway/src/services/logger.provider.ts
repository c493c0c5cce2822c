import { createLogger, type Logger } from '@mfa/observability';

export const LOGGER = Symbol('LOGGER');

export const loggerProvider = { provide: LOGGER, useFactory: (): Logger => createLogger('gateway') };
