import { parseChallenge, parseChallengeList, parseEnrollResponse, parseResponseStatus, type ChallengeStatus, type DeviceChallenge } from './challenge';
import { DeviceApiClient, defaultFetch, type Fetch } from './device-api-client';
import { generateDeviceKeyPair, importSigningKey, type KeyStorage } from './device-key';
import { parseDeviceRecord, type DeviceRecord, type DeviceStore } from './device-store';
import { parseEnrollmentUri, type EnrollmentUri } from './enrollment-uri';
import { AuthenticatorError, DeviceApiError } from './errors';
import { decodePushPayload, type PushPayload } from './push-payload';
import { createDeviceJwt, createResponseJws, type SigningContext } from './signed-token';
import { defaultWebCrypto, type WebCrypto, type WebCryptoKey } from './web-crypto';

export interface AuthenticatorOptions {
  /** Defaults to `globalThis.fetch`. */
  fetch?: Fetch;
  /** Defaults to `globalThis.crypto` (pass a polyfill on React Native). */
  crypto?: WebCrypto;
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
}

export type PushRegistration = { platform: 'fcm'; token: string } | { platform: 'none' };

export interface EnrollOptions extends AuthenticatorOptions {
  /** The device name the user sees in their factor list. */
  name: string;
  /** `none`: the device polls for challenges instead of receiving pushes. */
  push: PushRegistration;
  store: DeviceStore;
  /**
   * `jwk` (default) keeps the private key as a JWK in the record; `non-extractable` keeps a
   * CryptoKey nobody can export, for stores that can hold one (IndexedDB).
   */
  keyStorage?: KeyStorage;
}

export interface PollOptions {
  /** Between two polls; default 5000 ms. */
  intervalMs?: number;
  /** Ends the iteration (without an error) when aborted. */
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export const DEFAULT_POLL_INTERVAL_MS = 5_000;

function requireId(id: string, what: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new AuthenticatorError('invalid_argument', `${what} is required`);
  return id.trim();
}

/** Network failures, rate limiting and server errors are worth another poll; anything else is not. */
function isTransient(error: unknown): boolean {
  if (error instanceof DeviceApiError) return error.status === 429 || error.status >= 500;
  // What fetch throws when the network fails; by name, as it may come from another realm.
  return (error as Error | null)?.name === 'TypeError';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

/** One enrolled device: signs every request with its key and answers challenges. */
export class Authenticator {
  private constructor(
    private readonly record: DeviceRecord,
    private readonly signingKey: WebCryptoKey,
    private readonly client: DeviceApiClient,
    private readonly crypto: WebCrypto,
    private readonly now: () => number,
  ) {}

  get deviceId(): string {
    return this.record.deviceId;
  }
  get factorId(): string {
    return this.record.factorId;
  }
  get baseUrl(): string {
    return this.record.baseUrl;
  }
  get issuer(): string {
    return this.record.issuer;
  }
  get label(): string {
    return this.record.label;
  }
  get name(): string {
    return this.record.name;
  }

  /**
   * Enrolls this device from a scanned enrollment URI: makes a P-256 key pair, sends the public
   * half to `POST /device/v1/enroll` with the single-use ticket, and saves the record in `store`.
   */
  static async enroll(uri: string | EnrollmentUri, options: EnrollOptions): Promise<Authenticator> {
    const enrollment = typeof uri === 'string' ? parseEnrollmentUri(uri) : uri;
    if (typeof options.name !== 'string' || options.name.trim() === '') throw new AuthenticatorError('invalid_argument', 'a device name is required');
    const push = options.push;
    if (push?.platform === 'fcm') {
      if (typeof push.token !== 'string' || push.token === '') throw new AuthenticatorError('invalid_argument', 'push.token is required for platform "fcm"');
    } else if (push?.platform !== 'none') {
      throw new AuthenticatorError('invalid_argument', 'push.platform must be "fcm" or "none"');
    }
    const crypto = options.crypto ?? defaultWebCrypto();
    const client = new DeviceApiClient(enrollment.baseUrl, options.fetch ?? defaultFetch());
    const keys = await generateDeviceKeyPair(crypto, options.keyStorage ?? 'jwk');
    const name = options.name.trim();
    const answer = await client.request('POST', '/enroll', {
      body: {
        ticket: enrollment.ticket,
        public_key: keys.publicKey,
        push: push.platform === 'fcm' ? { platform: 'fcm', token: push.token } : { platform: 'none' },
        name,
      },
    });
    const { deviceId, factorId } = parseEnrollResponse(answer);
    const record: DeviceRecord = {
      version: 1,
      deviceId,
      factorId,
      baseUrl: enrollment.baseUrl,
      issuer: enrollment.issuer,
      label: enrollment.label,
      name,
      publicKey: keys.publicKey,
      privateKey: keys.privateKey,
    };
    await options.store.save(record);
    return new Authenticator(record, keys.signingKey, client, crypto, options.now ?? Date.now);
  }

  /** The device enrolled earlier, or null when `store` holds none. */
  static async load(store: DeviceStore, options: AuthenticatorOptions = {}): Promise<Authenticator | null> {
    const stored = await store.load();
    if (stored === null) return null;
    return Authenticator.fromRecord(stored, options);
  }

  static async fromRecord(stored: DeviceRecord, options: AuthenticatorOptions = {}): Promise<Authenticator> {
    const record = parseDeviceRecord(stored);
    const crypto = options.crypto ?? defaultWebCrypto();
    const signingKey = await importSigningKey(crypto, record.privateKey);
    return new Authenticator(record, signingKey, new DeviceApiClient(record.baseUrl, options.fetch ?? defaultFetch()), crypto, options.now ?? Date.now);
  }

  /** Challenges waiting for this device (`GET /device/v1/challenges?status=pending`). */
  async pendingChallenges(options: CallOptions = {}): Promise<DeviceChallenge[]> {
    return parseChallengeList(await this.get('/challenges?status=pending', options.signal));
  }

  /** One challenge with its login context, for the approval screen. */
  async challenge(id: string, options: CallOptions = {}): Promise<DeviceChallenge> {
    return parseChallenge(await this.get(`/challenges/${encodeURIComponent(requireId(id, 'a challenge id'))}`, options.signal));
  }

  /**
   * Approves a challenge. With number matching, `bindingCode` is the number the user read on the
   * login screen; a wrong one is a 403 `binding_mismatch` and uses one of the challenge's attempts.
   */
  async approve(id: string, options: { bindingCode?: string } = {}): Promise<{ status: ChallengeStatus }> {
    const bindingCode = options.bindingCode?.trim();
    if (options.bindingCode !== undefined && bindingCode === '') throw new AuthenticatorError('invalid_argument', 'the binding code is empty');
    return this.respond(requireId(id, 'a challenge id'), { decision: 'approve', bindingCode });
  }

  /** Denies a challenge; `fraud: true` ("this wasn't me") also locks the user's account at once. */
  async deny(id: string, options: { fraud?: boolean } = {}): Promise<{ status: ChallengeStatus }> {
    return this.respond(requireId(id, 'a challenge id'), { decision: 'deny', fraud: options.fraud === true });
  }

  /**
   * Tells the gateway this device's new FCM registration token (FCM rotates them: listen for
   * `onTokenRefresh`), or `null` when the app now polls. Later challenges are pushed to it.
   */
  async updatePushToken(token: string | null): Promise<void> {
    if (token !== null && token.trim() === '') throw new AuthenticatorError('invalid_argument', 'the push token is empty');
    await this.client.request('PUT', '/push', {
      body: { push: token === null ? { platform: 'none' } : { platform: 'fcm', token } },
      authorization: await createDeviceJwt(this.signing()),
    });
  }

  /** The challenge an FCM data message announces. */
  decodePushPayload(data: Record<string, string>): PushPayload {
    return decodePushPayload(data);
  }

  /**
   * Yields each pending challenge once, polling every `intervalMs`: for devices without FCM.
   * Network errors, 429 and 5xx are retried at the next poll (429 honours Retry-After); other
   * errors (401: the device was removed, say) end the iteration by throwing.
   */
  async *poll(options: PollOptions = {}): AsyncGenerator<DeviceChallenge, void, undefined> {
    const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const { signal } = options;
    const seen = new Set<string>();
    while (!signal?.aborted) {
      let wait = intervalMs;
      let pending: DeviceChallenge[] = [];
      try {
        pending = await this.pendingChallenges({ signal });
      } catch (error) {
        if (signal?.aborted) return;
        if (!isTransient(error)) throw error;
        if (error instanceof DeviceApiError && error.retryAfterSeconds) wait = Math.max(wait, error.retryAfterSeconds * 1000);
      }
      // A challenge that left PENDING never comes back, so forgetting it keeps `seen` small.
      const current = new Set(pending.map((c) => c.id));
      for (const id of seen) if (!current.has(id)) seen.delete(id);
      for (const challenge of pending) {
        if (seen.has(challenge.id)) continue;
        seen.add(challenge.id);
        yield challenge;
        if (signal?.aborted) return;
      }
      await sleep(wait, signal);
    }
  }

  private signing(): SigningContext {
    return { crypto: this.crypto, key: this.signingKey, deviceId: this.record.deviceId, now: this.now() };
  }

  private async get(path: string, signal?: AbortSignal): Promise<unknown> {
    return this.client.request('GET', path, { authorization: await createDeviceJwt(this.signing()), signal });
  }

  private async respond(challengeId: string, answer: { decision: 'approve' | 'deny'; bindingCode?: string; fraud?: boolean }): Promise<{ status: ChallengeStatus }> {
    const response = await createResponseJws(this.signing(), { challengeId, ...answer });
    const body = await this.client.request('POST', `/challenges/${encodeURIComponent(challengeId)}/response`, {
      body: { response },
      authorization: await createDeviceJwt(this.signing()),
    });
    return parseResponseStatus(body);
  }
}
