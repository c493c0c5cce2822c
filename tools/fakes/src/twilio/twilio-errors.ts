/**
 * Twilio's legacy error body. twilio-node's `RestException` copies `code`, `message`,
 * `more_info` and `status` from it, which is what the telephony worker classifies on.
 */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export interface TwilioError {
  body: TwilioErrorBody;
  headers?: Record<string, string>;
}

/** A failure to inject: a named, realistic one or any status/code/message triple. */
export type TwilioFault =
  | 'invalid_number'
  | 'too_many_requests'
  | 'server_error'
  | { status: number; code: number; message: string; headers?: Record<string, string> };

export function twilioError(status: number, code: number, message: string, headers?: Record<string, string>): TwilioError {
  return { body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers };
}

export const twilioErrors = {
  authenticate: () => twilioError(401, 20003, 'Authenticate', { 'WWW-Authenticate': 'Basic realm="Twilio API"' }),
  notFound: (path: string) => twilioError(404, 20404, `The requested resource ${path} was not found`),
  methodNotAllowed: (method: string) => twilioError(405, 20004, `Method not allowed: ${method}`),
  invalidTo: (to: string) => twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  messageToRequired: () => twilioError(400, 21604, "A 'To' phone number is required."),
  messageFromRequired: () => twilioError(400, 21603, "A 'From' phone number is required."),
  messageBodyRequired: () => twilioError(400, 21602, 'Message body is required.'),
  messageBodyTooLong: () => twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
  callToRequired: () => twilioError(400, 21201, "No 'To' number is specified"),
  callFromRequired: () => twilioError(400, 21213, "No 'From' number is specified"),
  callUrlRequired: () => twilioError(400, 21205, 'Url parameter is required.'),
  tooManyRequests: (retryAfterSeconds = 1) =>
    twilioError(429, 20429, 'Too Many Requests', { 'Retry-After': String(retryAfterSeconds) }),
  invalidDate: () => twilioError(400, 20001, 'Invalid date value.'),
  invalidPaging: () => twilioError(400, 20001, 'Invalid paging parameters.'),
  serverError: () => twilioError(500, 20500, 'Internal Server Error'),
};

export function faultToError(fault: TwilioFault, to: string): TwilioError {
  if (typeof fault === 'object') return twilioError(fault.status, fault.code, fault.message, fault.headers);
  switch (fault) {
    case 'invalid_number':
      return twilioErrors.invalidTo(to);
    case 'too_many_requests':
      return twilioErrors.tooManyRequests();
    case 'server_error':
      return twilioErrors.serverError();
    default:
      return assertUnreachable(fault);
  }
}

function assertUnreachable(value: never): never {
  throw new Error(`unhandled fault ${String(value)}`);
}
