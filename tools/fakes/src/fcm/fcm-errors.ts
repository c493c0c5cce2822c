/** Failures the FCM fake can be told to answer `messages:send` with (`failNext`, `failFor`). */
export type FcmFault =
  /** 404 NOT_FOUND / UNREGISTERED: the app was uninstalled or the token expired. */
  | 'unregistered'
  /** 400 INVALID_ARGUMENT about `message.token`: not a registration token at all. */
  | 'invalid_token'
  /** 503 UNAVAILABLE. firebase-admin retries it itself (4 times, up to 60 s): use with care. */
  | 'unavailable'
  /** 500 INTERNAL. */
  | 'internal'
  /** 429 RESOURCE_EXHAUSTED / QUOTA_EXCEEDED, with Retry-After. */
  | 'quota'
  /** 403 PERMISSION_DENIED / SENDER_ID_MISMATCH: the token belongs to another project. */
  | 'sender_id_mismatch'
  /** 401 UNAUTHENTICATED / THIRD_PARTY_AUTH_ERROR: the APNs or web-push credential was refused. */
  | 'third_party_auth';

export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

export interface FcmErrorResponse {
  status: number;
  body: GoogleErrorBody;
  headers?: Record<string, string>;
}

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

function googleError(code: number, status: string, message: string, fcmErrorCode?: string, extraDetails: unknown[] = []): GoogleErrorBody {
  const details = [...(fcmErrorCode ? [{ '@type': FCM_ERROR_TYPE, errorCode: fcmErrorCode }] : []), ...extraDetails];
  return { error: { code, message, status, ...(details.length ? { details } : {}) } };
}

/** Error answers as FCM HTTP v1 gives them (google.rpc.Status JSON with an FcmError detail). */
export const fcmErrors = {
  unauthenticated: (): FcmErrorResponse => ({
    status: 401,
    body: googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    ),
    headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' },
  }),
  permissionDenied: (projectId: string): FcmErrorResponse => ({
    status: 403,
    body: googleError(403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${projectId}' (or it may not exist).`),
  }),
  invalidArgument: (field: string, description: string): FcmErrorResponse => ({
    status: 400,
    body: googleError(400, 'INVALID_ARGUMENT', description, 'INVALID_ARGUMENT', [{ '@type': BAD_REQUEST_TYPE, fieldViolations: [{ field, description }] }]),
  }),
  notFound: (path: string): FcmErrorResponse => ({ status: 404, body: googleError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`) }),
  methodNotAllowed: (): FcmErrorResponse => ({ status: 405, body: googleError(405, 'UNIMPLEMENTED', 'Method not allowed.') }),
};

export function faultResponse(fault: FcmFault): FcmErrorResponse {
  switch (fault) {
    case 'unregistered':
      return { status: 404, body: googleError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED') };
    case 'invalid_token':
      return fcmErrors.invalidArgument('message.token', 'The registration token is not a valid FCM registration token');
    case 'unavailable':
      return { status: 503, body: googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE') };
    case 'internal':
      return { status: 500, body: googleError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL') };
    case 'quota':
      return {
        status: 429,
        body: googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric sends per minute.', 'QUOTA_EXCEEDED'),
        headers: { 'Retry-After': '1' },
      };
    case 'sender_id_mismatch':
      return { status: 403, body: googleError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH') };
    case 'third_party_auth':
      return { status: 401, body: googleError(401, 'UNAUTHENTICATED', 'Auth error from APNS or Web Push Service', 'THIRD_PARTY_AUTH_ERROR') };
  }
}
