import type { INestApplication } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, Response } from 'express';
import { constantTimeEqual } from '@mfa/crypto';
import { ALL_QUEUES, type JobProducer } from '@mfa/queue';

export const DASHBOARD_PATH = '/admin/queues';

/** Read-mostly: everything may be looked at; the only change allowed is retrying failed jobs. */
const ALLOWED_CHANGE = /^\/api\/queues\/[^/]+(\/[^/]+)?\/retry\/failed$/;

/**
 * The admin token a request presents: `Authorization: Bearer <token>` (API clients, probes), or
 * HTTP Basic with the token as password, which browsers prompt for, so an operator can open the
 * dashboard without a header-editing extension.
 */
function presentedToken(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)$/i.exec(header)?.[1];
  if (!basic) return undefined;
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) || undefined;
}

/** The admin token on every request, pages, assets and API alike. */
export function adminGate(adminToken: string) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const token = presentedToken(request.headers.authorization ?? '');
    if (!token || !constantTimeEqual(token, adminToken)) {
      response.setHeader('WWW-Authenticate', 'Basic realm="MFA queue dashboard", charset="UTF-8"');
      response.status(401).json({ error: { code: 'unauthorized', message: 'admin token required' } });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD' && !(request.method === 'PUT' && ALLOWED_CHANGE.test(request.path))) {
      response.status(403).json({ error: { code: 'read_only', message: 'the dashboard only retries failed jobs' } });
      return;
    }
    next();
  };
}

/** Bull Board on the gateway's HTTP port, behind the admin token. */
export function mountQueueDashboard(app: INestApplication, producer: JobProducer, adminToken: string): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: ALL_QUEUES.map((name) => new BullMQAdapter(producer.queue(name), { readOnlyMode: false, allowRetries: true, description: `${name} jobs` })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'MFA queues' } },
  });
  app.use(DASHBOARD_PATH, adminGate(adminToken), serverAdapter.getRouter());
}
