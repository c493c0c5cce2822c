import { Inject, Injectable } from '@nestjs/common';
import type { RedisConnection } from '@mfa/queue';
import { Database, FactorRepository, type FactorEntity } from '@mfa/persistence';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { Clock } from '../services/clock';
import { viaRedis } from '../services/redis-availability';
import { REDIS } from '../services/redis.provider';
import { DeviceApiError, DeviceUnauthorizedError } from './device-api.error';
import { assertTimely, decodeJws, DeviceJwtError, parseDevicePublicKey, verifyEs256, type DecodedJws } from './device-jwt';

const BEARER = /^Bearer\s+(\S+)$/i;
/** Requests one device may make per minute: a phone polling every 2 s stays far below it. */
export const DEVICE_REQUESTS_PER_MINUTE = 120;

/** The bearer token was sent and fails a check. */
const unauthorized = (message: string): DeviceUnauthorizedError => new DeviceUnauthorizedError(message, true);
/** The signed response in the body fails a check; the bearer token itself passed. */
const responseRefused = (message: string): DeviceUnauthorizedError => new DeviceUnauthorizedError(`response: ${message}`, false);

/**
 * Authenticates device requests: `Authorization: Bearer <JWT>` signed ES256 with the key the
 * device enrolled, `{sub: device_id, iat, exp ≤ iat + 5 min, jti}`; a jti is accepted once.
 */
@Injectable()
export class DeviceAuthService {
  constructor(
    private readonly database: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly clock: Clock,
  ) {}

  async authenticate(authorization: string | undefined): Promise<FactorEntity> {
    const match = authorization ? BEARER.exec(authorization.trim()) : null;
    if (!match) throw new DeviceUnauthorizedError('missing bearer token', false);
    let jws: DecodedJws;
    try {
      jws = decodeJws(match[1]);
    } catch (error) {
      throw unauthorized((error as Error).message);
    }
    const factor = await this.verifiedDevice(jws);
    const { exp } = this.timely(jws.claims);
    const jti = jws.claims.jti;
    if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128) throw unauthorized('token needs a jti');
    await this.rateLimit(factor.deviceId!);
    const ttl = Math.max(1, Math.ceil(exp - this.clock.now() / 1000) + 60);
    const fresh = await viaRedis(() => this.redis.set(`${this.config.queuePrefix}:device-jti:${factor.deviceId}:${jti}`, '1', 'EX', ttl, 'NX'));
    if (fresh !== 'OK') throw unauthorized('token already used (jti replay)');
    return factor;
  }

  /** Verifies a signed response (JWS) from the device that authenticated the request. */
  verifyResponse(factor: FactorEntity, token: string): Record<string, unknown> {
    let jws: DecodedJws;
    try {
      jws = decodeJws(token);
      verifyEs256(jws, parseDevicePublicKey(JSON.parse(factor.devicePublicKey ?? 'null')).key);
    } catch (error) {
      throw responseRefused((error as Error).message);
    }
    if (jws.claims.sub !== factor.deviceId) throw responseRefused('signed for another device');
    this.timely(jws.claims, responseRefused);
    return jws.claims;
  }

  private async verifiedDevice(jws: DecodedJws): Promise<FactorEntity> {
    const deviceId = jws.claims.sub;
    if (typeof deviceId !== 'string' || deviceId.length === 0 || deviceId.length > 64) throw unauthorized('token needs sub = device_id');
    const factor = await new FactorRepository(this.database.manager).findByDeviceId(deviceId);
    // An unknown device and a bad signature look the same to the caller.
    if (!factor || factor.type !== 'PUSH' || factor.status !== 'ACTIVE' || !factor.devicePublicKey) throw unauthorized('bad signature');
    try {
      verifyEs256(jws, parseDevicePublicKey(JSON.parse(factor.devicePublicKey)).key);
    } catch (error) {
      throw unauthorized((error as Error).message);
    }
    return factor;
  }

  private timely(claims: Record<string, unknown>, refuse: (message: string) => DeviceUnauthorizedError = unauthorized): { iat: number; exp: number } {
    try {
      return assertTimely(claims, this.clock.now());
    } catch (error) {
      throw refuse((error as DeviceJwtError).message);
    }
  }

  private async rateLimit(deviceId: string): Promise<void> {
    const key = `${this.config.queuePrefix}:device-rate:${deviceId}:${Math.floor(this.clock.now() / 60_000)}`;
    const count = await viaRedis(async () => {
      const [[, value]] = (await this.redis.multi().incr(key).expire(key, 120).exec()) as [[Error | null, number]];
      return value;
    });
    if (count > DEVICE_REQUESTS_PER_MINUTE) throw new DeviceApiError(429, 'rate_limited', 'too many requests from this device', 60);
  }
}
