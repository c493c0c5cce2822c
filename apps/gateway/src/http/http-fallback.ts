import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application, Request, Response } from 'express';

/** What this file reads of a layer in express's router (the `router` package). */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/** The methods the app's routes answer on `path` (GET brings HEAD, as express serves it). */
function allowedMethods(app: Application, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of app.router.stack as unknown as RouterLayer[]) {
    if (!layer.route || !layer.match(path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

function sendError(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } });
}

/**
 * Answers, in the port's `{error: {code, message}}` shape (API.md §2, as the device API and the
 * queue dashboard's gate answer), the requests no route or mounted app on the HTTP port handles:
 * an unknown path is 404, a known path with another method 405 with `Allow`. Without this, Nest's
 * own 404 answers them in Nest's format. The queue dashboard's routes live in its own router,
 * which this does not read: a request its admin gate lets through and it does not answer (only
 * GET, HEAD and the retry PUT pass the gate) is 404 here.
 *
 * Mount it after the routes and before Nest's 404 and error handlers (`HttpFallback` does).
 */
export function mountHttpFallback(app: Application): void {
  app.use((request: Request, response: Response) => {
    const allow = allowedMethods(app, request.path);
    if (allow.length === 0) return sendError(response, 404, 'not_found', 'no such resource');
    response.setHeader('Allow', allow.join(', '));
    sendError(response, 405, 'method_not_allowed', `${request.method} is not allowed here; use ${allow.join(' or ')}`);
  });
}

/**
 * Mounts the fallback: Nest calls `onModuleInit` after it registered the routes and before it adds
 * its own 404 and error handlers, so the fallback sits between them.
 */
@Injectable()
export class HttpFallback implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    mountHttpFallback(this.adapterHost.httpAdapter.getInstance<Application>());
  }
}
