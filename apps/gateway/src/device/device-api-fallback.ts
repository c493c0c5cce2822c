import type { Application, NextFunction, Request, Response } from 'express';
import { DeviceApiError, sendDeviceApiError, toDeviceApiError } from './device-api.error';

export const DEVICE_API_PREFIX = '/device/v1';

/**
 * Answers, in the API's `{error: {code, message}}` shape, the device requests that fail before any
 * controller or filter runs: a path whose percent-escapes do not decode (400; express fails those
 * while matching routes) or any other error express hands on. Without this, Nest's error handler
 * answers them in Nest's format. Unknown paths and methods are the HTTP port's fallback's
 * (`http/http-fallback.ts`), which answers them in the same shape.
 *
 * Mount it after the device routes and before Nest's 404 and error handlers.
 */
export function mountDeviceApiFallback(app: Application): void {
  app.use(DEVICE_API_PREFIX, (error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof URIError) return sendDeviceApiError(response, new DeviceApiError(400, 'bad_request', 'the path is not valid percent-encoding'));
    sendDeviceApiError(response, toDeviceApiError(error));
  });
}
