/** One rendered message to one recipient. */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface EmailSendResult {
  /** The provider's id of the accepted message (SMTP: the Message-ID), when it has one. */
  providerRef?: string;
}

/**
 * The email channel's port. `send` resolves once the provider accepted the message and rejects
 * with `RetryableProviderError` or `PermanentProviderError`, classified by the vendor's error
 * fields. `close` lets go of connections at shutdown.
 */
export interface EmailProvider {
  readonly name: string;
  send(message: EmailMessage): Promise<EmailSendResult>;
  close(): Promise<void>;
}

/** Non-secret facts about a provider failure, for operators' logs (never the address or the code). */
export type ProviderDiagnostics = Record<string, string | number | undefined>;

/** Attaches diagnostics to a classified provider error, where the use case's logging finds them. */
export function withDiagnostics<E extends Error>(error: E, diagnostics: ProviderDiagnostics): E & { diagnostics: ProviderDiagnostics } {
  return Object.assign(error, { diagnostics });
}

export function diagnosticsOf(error: unknown): ProviderDiagnostics | undefined {
  const diagnostics = (error as { diagnostics?: unknown } | null)?.diagnostics;
  return typeof diagnostics === 'object' && diagnostics !== null ? (diagnostics as ProviderDiagnostics) : undefined;
}
