import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { DeadPushTokenError, withDiagnostics, type PushMessage, type PushProvider, type PushSendResult } from '../push.provider';
import { classifyFcmError, fcmErrorCode } from './fcm-error-classification';
import { buildFcmMessage } from './fcm-message';
import { RedirectingAgent } from './redirecting-agent';
import { ServiceAccountCredential, type ServiceAccountKey } from './service-account-credential';

export const FCM_PROVIDER = 'fcm';
const PROVIDER_REF_MAX = 128;

export interface FcmPushProviderOptions {
  projectId: string;
  serviceAccount: ServiceAccountKey;
  /** Dial this endpoint for every Google request (FCM_API_BASE_URL); Google's own hosts otherwise. */
  apiBaseUrl?: URL;
  now?: () => number;
}

/**
 * FCM HTTP v1 through firebase-admin's `messaging.send()`: one firebase-admin app per provider
 * (unique name, so several workers can share a process), one access token cached by the SDK.
 */
export class FcmPushProvider implements PushProvider {
  readonly name = FCM_PROVIDER;
  private readonly app: App;
  private readonly messaging: Messaging;
  private readonly credential: ServiceAccountCredential;
  private readonly agent: Agent | undefined;
  private readonly now: () => number;

  constructor(options: FcmPushProviderOptions) {
    this.now = options.now ?? Date.now;
    this.agent = options.apiBaseUrl ? new RedirectingAgent(options.apiBaseUrl) : undefined;
    this.credential = new ServiceAccountCredential(options.serviceAccount, this.agent);
    this.app = initializeApp({ credential: this.credential, projectId: options.projectId, httpAgent: this.agent }, `push-worker-${randomUUID()}`);
    this.messaging = getMessaging(this.app);
  }

  /** Where the provider's requests go, for the start-up log line. */
  get endpoint(): string {
    return this.agent instanceof RedirectingAgent ? this.agent.target : 'https://fcm.googleapis.com';
  }

  async send(push: PushMessage): Promise<PushSendResult> {
    try {
      const name = await this.messaging.send(buildFcmMessage(push, this.now()));
      return { providerRef: typeof name === 'string' && name.length <= PROVIDER_REF_MAX ? name : undefined };
    } catch (error) {
      throw this.toProviderError(error);
    }
  }

  async close(): Promise<void> {
    try {
      await deleteApp(this.app);
    } finally {
      this.agent?.destroy();
    }
  }

  private toProviderError(error: unknown): Error {
    const code = fcmErrorCode(error) ?? 'unknown';
    const tokenFailure = code === 'app/invalid-credential' ? this.credential.lastFailure : undefined;
    const classified = classifyFcmError(error, tokenFailure);
    const diagnostics = {
      fcmCode: code,
      tokenStatus: tokenFailure?.status,
      tokenError: tokenFailure?.code,
      ...(classified.kind === 'permanent' && classified.operator ? { action: 'check FIREBASE_PROJECT_ID, GOOGLE_APPLICATION_CREDENTIALS and the Firebase console' } : {}),
    };
    switch (classified.kind) {
      case 'dead-token':
        return withDiagnostics(new DeadPushTokenError(FCM_PROVIDER, code), diagnostics);
      case 'retryable':
        return withDiagnostics(new RetryableProviderError(`fcm: temporary failure (${code})`, FCM_PROVIDER), diagnostics);
      case 'permanent':
        return withDiagnostics(new PermanentProviderError(classified.reason, FCM_PROVIDER), diagnostics);
    }
  }
}
