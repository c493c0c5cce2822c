import { Body, Controller, Get, Headers, HttpCode, type OnModuleInit, Param, Post, Put, Query, UseFilters } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Application } from 'express';
import { EnrollDeviceUseCase } from '../usecases/enroll-device.usecase';
import { DeviceChallengesUseCase, type DeviceChallengeView } from '../usecases/device-challenges.usecase';
import { RespondToChallengeUseCase } from '../usecases/respond-to-challenge.usecase';
import { UpdateDevicePushUseCase } from '../usecases/update-device-push.usecase';
import { DeviceApiExceptionFilter } from './device-api.error';
import { DEVICE_API_PREFIX, mountDeviceApiFallback } from './device-api-fallback';
import { DeviceAuthService } from './device-auth.service';
import { checkStatusFilter, parseChallengeIdParam, parseDeviceResponse, parseEnrollDevice, parsePushUpdate, parseResponseBody } from './device-request.parsers';

/**
 * The authenticator app's API (API.md §2): JSON, every call but enroll signed by the device key.
 * `PUT push` is this gateway's addition to §2, for a device whose FCM token changed.
 */
@Controller(DEVICE_API_PREFIX)
@UseFilters(DeviceApiExceptionFilter)
export class DeviceController implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: DeviceAuthService,
    private readonly enrollDevice: EnrollDeviceUseCase,
    private readonly challenges: DeviceChallengesUseCase,
    private readonly respond: RespondToChallengeUseCase,
    private readonly updatePush: UpdateDevicePushUseCase,
  ) {}

  /**
   * Nest calls this after it registered the routes and before it adds its own 404 and error
   * handlers, so the fallback sits between them: device requests that fail in express reach it.
   */
  onModuleInit(): void {
    mountDeviceApiFallback(this.adapterHost.httpAdapter.getInstance<Application>());
  }

  @Post('enroll')
  @HttpCode(201)
  async enroll(@Body() body: unknown): Promise<{ device_id: string; factor_id: string }> {
    const { deviceId, factorId } = await this.enrollDevice.execute(parseEnrollDevice(body));
    return { device_id: deviceId, factor_id: factorId };
  }

  @Get('challenges')
  async list(@Headers('authorization') authorization: string | undefined, @Query('status') status: unknown): Promise<{ challenges: DeviceChallengeView[] }> {
    const device = await this.auth.authenticate(authorization);
    checkStatusFilter(status);
    return { challenges: await this.challenges.pending(device) };
  }

  @Get('challenges/:id')
  async get(@Headers('authorization') authorization: string | undefined, @Param('id') id: string): Promise<DeviceChallengeView> {
    const device = await this.auth.authenticate(authorization);
    return this.challenges.one(device, parseChallengeIdParam(id));
  }

  @Post('challenges/:id/response')
  @HttpCode(200)
  async answer(@Headers('authorization') authorization: string | undefined, @Param('id') id: string, @Body() body: unknown): Promise<{ status: string }> {
    const device = await this.auth.authenticate(authorization);
    const challengeId = parseChallengeIdParam(id);
    const claims = this.auth.verifyResponse(device, parseResponseBody(body));
    return this.respond.execute(device, parseDeviceResponse(challengeId, claims));
  }

  @Put('push')
  @HttpCode(200)
  async push(@Headers('authorization') authorization: string | undefined, @Body() body: unknown): Promise<{ push: { platform: 'fcm' | 'none' } }> {
    const device = await this.auth.authenticate(authorization);
    return { push: await this.updatePush.execute(device, parsePushUpdate(body)) };
  }
}
