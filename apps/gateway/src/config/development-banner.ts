import type { GatewayConfig } from './gateway-config';

/**
 * Development only (API.md §4 "dev: printed at start"): the generated credentials an operator
 * needs for a first gRPC call and for the queue dashboard, printed once the gateway is ready.
 * Values the operator set in the environment are theirs and are not echoed.
 */
export function developmentBanner(config: GatewayConfig, env: Record<string, string | undefined>): string | undefined {
  if (config.production) return undefined;
  const lines: string[] = [];
  if (config.bootstrapApiKey && !env.MFA_BOOTSTRAP_API_KEY) lines.push(`API key (tenant "default"): ${config.bootstrapApiKey}`);
  if (!env.MFA_ADMIN_TOKEN) lines.push(`Admin token (queue dashboard /admin/queues, MFA_ADMIN_TOKEN): ${config.adminToken}`);
  if (lines.length === 0) return undefined;
  return `\nGateway gRPC on 127.0.0.1:${config.grpcPort}, HTTP on 127.0.0.1:${config.httpPort}\n${lines.join('\n')}\n\n`;
}
