/** Duo's error body: `{"stat":"FAIL","code":40103,"message":"…"}` with the HTTP status it comes with. */
export interface DuoFault {
  status: number;
  code: number;
  message: string;
  messageDetail?: string;
  /** Sent as `Retry-After` (seconds). */
  retryAfterSeconds?: number;
}

/** Faults Duo really answers with (https://duo.com/docs/authapi#response-format). */
export const DUO_FAULTS = {
  missingCredentials: { status: 401, code: 40101, message: 'Missing request credentials' },
  invalidIntegrationKey: { status: 401, code: 40102, message: 'Invalid integration key in request credentials' },
  invalidSignature: { status: 401, code: 40103, message: 'Invalid signature in request credentials' },
  missingDate: { status: 401, code: 40104, message: 'Missing required Date header' },
  dateTooFar: { status: 401, code: 40105, message: "Received Date header that's too far from the current time" },
  missingParameter: { status: 400, code: 40001, message: 'Missing required request parameters' },
  invalidRequest: { status: 400, code: 40002, message: 'Invalid request parameters' },
  accessForbidden: { status: 403, code: 40301, message: 'Access forbidden' },
  notFound: { status: 404, code: 40401, message: 'Resource not found' },
  methodNotAllowed: { status: 405, code: 40501, message: 'Method not allowed' },
  tooManyRequests: { status: 429, code: 42901, message: 'Too Many Requests', retryAfterSeconds: 1 },
  serverError: { status: 500, code: 50000, message: 'Internal server error' },
} satisfies Record<string, DuoFault>;

export function failBody(fault: DuoFault): Record<string, unknown> {
  return { stat: 'FAIL', code: fault.code, message: fault.message, ...(fault.messageDetail ? { message_detail: fault.messageDetail } : {}) };
}

export const STATUS = {
  allow: { result: 'allow', status: 'allow', status_msg: 'Success. Logging you in...' },
  denied: { result: 'deny', status: 'deny', status_msg: 'Login request denied.' },
  timedOut: { result: 'deny', status: 'timeout', status_msg: 'Login timed out.' },
  wrongPasscode: { result: 'deny', status: 'deny', status_msg: 'Incorrect passcode. Please try again.' },
  notEnrolled: { result: 'deny', status: 'deny', status_msg: 'Enroll an authentication device first.' },
  userDenied: { result: 'deny', status: 'deny', status_msg: 'Your account is disabled and cannot access this application.' },
  pushed: { result: 'waiting', status: 'pushed', status_msg: 'Pushed a login request to your device...' },
  calling: { result: 'waiting', status: 'calling', status_msg: 'Calling your phone...' },
} as const;
