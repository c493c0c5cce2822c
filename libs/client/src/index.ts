export { MfaClient, type MfaClientOptions } from './mfa-client';
