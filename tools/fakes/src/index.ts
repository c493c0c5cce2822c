export { TwilioFake, type TwilioFakeOptions } from './twilio/twilio-fake';
export { RedirectingRequestClient } from './twilio/redirecting-request-client';
export type { ReceivedCall, ReceivedMessage } from './twilio/twilio-requests';
export type { TwilioErrorBody, TwilioFault } from './twilio/twilio-errors';
export { SmtpFake, type ReceivedMail, type SmtpFakeOptions, type SmtpFault } from './smtp/smtp-fake';
export { maskPhone } from './shared/mask-phone';
