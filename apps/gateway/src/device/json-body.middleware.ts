import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';

const parse = json({ limit: '16kb', strict: true });

/**
 * JSON bodies for the device API, with its error shape for a body that is not JSON or too
 * large (Nest's own body parser is off: it would answer in another format).
 */
@Injectable()
export class DeviceJsonBodyMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      const tooLarge = (error as { type?: string }).type === 'entity.too.large';
      response.status(tooLarge ? 413 : 400).json({ error: { code: 'bad_request', message: tooLarge ? 'body is too large' : 'body must be valid JSON' } });
    });
  }
}
