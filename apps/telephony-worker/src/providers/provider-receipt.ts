/** What a provider answers when it accepted a message or call. */
export interface ProviderReceipt {
  /** The provider's id of what it accepted (Twilio: the Message or Call SID). */
  providerRef: string;
}

/** Non-secret facts about a provider failure, for operators' logs: never the number or the code. */
export type ProviderDiagnostics = Record<string, string | number | undefined>;

/** Attaches diagnostics to a classified provider error, where the use case's logging finds them. */
export function withDiagnostics<E extends Error>(error: E, diagnostics: ProviderDiagnostics): E {
  return Object.assign(error, { diagnostics });
}

export function diagnosticsOf(error: unknown): ProviderDiagnostics | undefined {
  const diagnostics = (error as { diagnostics?: unknown } | null)?.diagnostics;
  return typeof diagnostics === 'object' && diagnostics !== null ? (diagnostics as ProviderDiagnostics) : undefined;
}
