import type { Application, NextFunction, Request, Response } from 'express';
import { DeviceApiError, sendDeviceApiError, toDeviceApiError } from './device-api.error';

export const DEVICE_API_PREFIX = '/device/v1';

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

/**
 * Answers, in the API's `{error: {code, message}}` shape, the device requests no route handles:
 * a path under `/device/v1` no route has (404), a known path with another method (405 and
 * `Allow`), and a path whose percent-escapes do not decode (400; express fails those while
 * matching routes, before any controller or filter runs). Without this, Nest's own 404 and error
 * handlers answer them in Nest's format.
 *
 * Mount it after the device routes and before Nest's 404 and error handlers.
 */
export function mountDeviceApiFallback(app: Application): void {
  app.use(DEVICE_API_PREFIX, (request: Request, response: Response) => {
    const allow = allowedMethods(app, request.baseUrl + request.path);
    if (allow.length === 0) return sendDeviceApiError(response, new DeviceApiError(404, 'not_found', 'no such resource'));
    response.setHeader('Allow', allow.join(', '));
    sendDeviceApiError(response, new DeviceApiError(405, 'method_not_allowed', `${request.method} is not allowed here; use ${allow.join(' or ')}`));
  });
  app.use(DEVICE_API_PREFIX, (error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof URIError) return sendDeviceApiError(response, new DeviceApiError(400, 'bad_request', 'the path is not valid percent-encoding'));
    sendDeviceApiError(response, toDeviceApiError(error));
  });
}
