import { Injectable, type NestMiddleware } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { DeviceApiError, sendDeviceApiError } from './device-api.error';

/** Thrown from body-parser's `verify` hook; body-parser hands it back with `type` set to this. */
const NOT_UTF8 = 'entity.not.utf8';

/**
 * JSON is UTF-8 (RFC 8259 §8.1). body-parser would decode invalid bytes to U+FFFD and carry on,
 * so the raw bytes are checked before it decodes them.
 */
function requireUtf8(_request: IncomingMessage, _response: ServerResponse, body: Buffer, charset: string): void {
  if (charset !== 'utf-8' || !isUtf8(body)) throw Object.assign(new Error('body must be UTF-8'), { type: NOT_UTF8 });
}

/**
 * Every body is read as JSON, whatever its Content-Type: API.md §2 says the device API takes JSON,
 * and its calls are authenticated by signatures, not by that header. Clients that do not set it
 * (fetch sends a string as `text/plain`, `curl -d` as a form) are served as those that do.
 */
const parse = json({ type: () => true, limit: '16kb', strict: true, verify: requireUtf8 });

function messageFor(type: string | undefined): string {
  if (type === 'entity.too.large') return 'body is too large';
  if (type === NOT_UTF8 || type === 'charset.unsupported') return 'body must be JSON in UTF-8';
  return 'body must be valid JSON';
}

/**
 * JSON bodies for the device API, with its error shape for a body that is not JSON, not UTF-8 or
 * too large: all `400 bad_request`, API.md §2's answer to a bad body (Nest's own body parser is
 * off: it would answer in another format).
 */
@Injectable()
export class DeviceJsonBodyMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      sendDeviceApiError(response, new DeviceApiError(400, 'bad_request', messageFor((error as { type?: string }).type)));
    });
  }
}
