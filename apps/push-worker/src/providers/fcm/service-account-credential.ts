import { createSign } from 'node:crypto';
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Credential, GoogleOAuthAccessToken } from 'firebase-admin/app';

/** Google's OAuth 2.0 token endpoint, the `token_uri` of every service-account key file. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_SECONDS = 3_600;
const TOKEN_TIMEOUT_MS = 10_000;

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
}

/** Why the last token exchange failed, in structured form (firebase-admin keeps only a message). */
export interface TokenExchangeFailure {
  /** Temporary (network, timeout, 5xx, 429): another attempt may work. */
  transient: boolean;
  status?: number;
  /** OAuth `error` (e.g. `invalid_grant`) or a socket error code (e.g. `ECONNREFUSED`). */
  code?: string;
  at: number;
}

/**
 * A firebase-admin `Credential` for a service account: the OAuth 2.0 JWT-bearer grant (RFC 7523)
 * that `cert()` performs, with two differences the worker needs. Its request goes through the
 * given agent (`cert(object, agent)` ignores the agent, firebase-admin-node#2960; and `cert()`'s
 * google-auth-library loads node-fetch with `import()`, which Jest cannot run), and the cause of
 * a failure is kept in `lastFailure`, so a token-server outage is retried while a revoked key is
 * not — firebase-admin reports both as `app/invalid-credential`.
 */
export class ServiceAccountCredential implements Credential {
  private failure: TokenExchangeFailure | undefined;

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly agent?: HttpAgent,
    private readonly now: () => number = Date.now,
  ) {}

  get lastFailure(): TokenExchangeFailure | undefined {
    return this.failure;
  }

  async getAccessToken(): Promise<GoogleOAuthAccessToken> {
    try {
      const token = await this.exchange(this.assertion());
      this.failure = undefined;
      return token;
    } catch (error) {
      this.failure = failureOf(error, this.now());
      throw error;
    }
  }

  private assertion(): string {
    const iat = Math.floor(this.now() / 1_000);
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: this.key.clientEmail, scope: FCM_SCOPE, aud: this.key.tokenUri, iat, exp: iat + ASSERTION_LIFETIME_SECONDS })}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(this.key.privateKey, 'base64url')}`;
  }

  private exchange(assertion: string): Promise<GoogleOAuthAccessToken> {
    const url = new URL(this.key.tokenUri);
    const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString();
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: TOKEN_TIMEOUT_MS,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            let json: Record<string, unknown> = {};
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            } catch {
              // A proxy's HTML error page: the status says enough.
            }
            if (status === 200 && typeof json.access_token === 'string' && typeof json.expires_in === 'number') {
              resolve({ access_token: json.access_token, expires_in: json.expires_in });
              return;
            }
            const code = typeof json.error === 'string' ? json.error : undefined;
            reject(new TokenExchangeError(`token endpoint answered ${status}${code ? ` (${code})` : ''}`, status, code));
          });
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('token request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

export class TokenExchangeError extends Error {
  override name = 'TokenExchangeError';
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

function failureOf(error: unknown, at: number): TokenExchangeFailure {
  if (error instanceof TokenExchangeError) {
    // 400/401/403 (invalid_grant, unauthorized_client, …): the key is wrong, revoked or disabled.
    const transient = error.status >= 500 || error.status === 429 || error.status === 408;
    return { transient, status: error.status, code: error.code, at };
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return { transient: true, code: typeof code === 'string' ? code : undefined, at };
}
