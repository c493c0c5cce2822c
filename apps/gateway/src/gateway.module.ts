import { Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisConnection } from '@mfa/queue';
import { Keyring } from '@mfa/crypto';
import { createMetricsRegistry, GatewayMetrics, type Logger } from '@mfa/observability';
import { Database, TenantAdmin } from '@mfa/persistence';
import { createBullConnection, createRequestConnection, JobProducer, OtpCodeStore } from '@mfa/queue';
import { DeviceAuthService } from './device/device-auth.service';
import { DeviceController } from './device/device.controller';
import { DeviceJsonBodyMiddleware } from './device/json-body.middleware';
import { ApplyDeliveryOutcomeUseCase } from './events/apply-delivery-outcome.usecase';
import { DeviceChallengesUseCase } from './usecases/device-challenges.usecase';
import { EnrollDeviceUseCase } from './usecases/enroll-device.usecase';
import { UpdateDevicePushUseCase } from './usecases/update-device-push.usecase';
import { RespondToChallengeUseCase } from './usecases/respond-to-challenge.usecase';
import { ApplyDuoResultUseCase } from './events/apply-duo-result.usecase';
import { ApplyPushTokenInvalidUseCase } from './events/apply-push-token-invalid.usecase';
import { ChallengeEventsConsumer } from './events/challenge-events.consumer';
import { AttemptRecorder } from './services/attempt-recorder.service';
import { ChallengeFactory } from './services/challenge-factory.service';
import { ChallengeNotifier } from './services/challenge-notifier';
import { CodeChecker } from './services/code-checker.service';
import { DuoClient } from './services/duo-client.service';
import { DuoFactorService } from './services/duo-factor.service';
import { DeliveryRelay } from './services/delivery-relay.service';
import { DeliveryWithdrawal } from './services/delivery-withdrawal.service';
import { ExpirySweeper } from './services/expiry-sweeper.service';
import { LegacyEnrollUrlSealer } from './services/legacy-enroll-url-sealer.service';
import { GrpcHealthReporter } from './services/grpc-health-reporter.service';
import { ReadinessProbe } from './services/readiness-probe';
import { OutOfBandDispatcher } from './services/out-of-band-dispatcher';
import { PromptRateLimiter, SendRateLimiter } from './services/send-rate-limiter';
import { WatchChallengeUseCase } from './usecases/watch-challenge.usecase';
import type { GatewayConfig } from './config/gateway-config';
import { GATEWAY_CONFIG } from './config/gateway-config.provider';
import { GrpcCallInterceptor } from './grpc/grpc-call.interceptor';
import { MfaController } from './grpc/mfa.controller';
import { HealthController } from './http/health.controller';
import { HttpFallback } from './http/http-fallback';
import { MetricsController } from './http/metrics.controller';
import { ApiKeyAuthService } from './services/api-key-auth.service';
import { ChallengeLifecycle } from './services/challenge-lifecycle.service';
import { Clock, SystemClock } from './services/clock';
import { LockoutService } from './services/lockout.service';
import { LOGGER, loggerProvider } from './services/logger.provider';
import { BULL_CONNECTION, REDIS } from './services/redis.provider';
import { TotpVerifier } from './services/totp-verifier.service';
import { TotpService } from './services/totp.service';
import { CancelChallengeUseCase } from './usecases/cancel-challenge.usecase';
import { ConfirmEnrollmentUseCase } from './usecases/confirm-enrollment.usecase';
import { DeleteFactorUseCase } from './usecases/delete-factor.usecase';
import { EnrollFactorUseCase } from './usecases/enroll-factor.usecase';
import { GenerateRecoveryCodesUseCase } from './usecases/generate-recovery-codes.usecase';
import { GetChallengeUseCase } from './usecases/get-challenge.usecase';
import { GetUserStatusUseCase } from './usecases/get-user-status.usecase';
import { ListAuditEventsUseCase } from './usecases/list-audit-events.usecase';
import { ListFactorsUseCase } from './usecases/list-factors.usecase';
import { SetPolicyUseCase } from './usecases/policy.usecase';
import { RedeemRecoveryCodeUseCase } from './usecases/redeem-recovery-code.usecase';
import { StartChallengeUseCase } from './usecases/start-challenge.usecase';
import { VerifyChallengeUseCase } from './usecases/verify-challenge.usecase';

const USE_CASES = [
  EnrollFactorUseCase,
  ConfirmEnrollmentUseCase,
  ListFactorsUseCase,
  DeleteFactorUseCase,
  GetUserStatusUseCase,
  StartChallengeUseCase,
  VerifyChallengeUseCase,
  GetChallengeUseCase,
  CancelChallengeUseCase,
  GenerateRecoveryCodesUseCase,
  RedeemRecoveryCodeUseCase,
  SetPolicyUseCase,
  ListAuditEventsUseCase,
  WatchChallengeUseCase,
  ApplyDeliveryOutcomeUseCase,
  ApplyPushTokenInvalidUseCase,
  ApplyDuoResultUseCase,
  EnrollDeviceUseCase,
  UpdateDevicePushUseCase,
  DeviceChallengesUseCase,
  RespondToChallengeUseCase,
];

@Module({})
export class GatewayModule implements NestModule, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly database: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
    @Inject(BULL_CONNECTION) private readonly bullConnection: RedisConnection,
    private readonly producer: JobProducer,
    private readonly notifier: ChallengeNotifier,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** `database`: one opened already (main opens it first, to report a bad DATABASE_URL in one line). */
  static forRoot(config: GatewayConfig, database?: Database): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [MfaController, DeviceController, HealthController, MetricsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: Keyring, useValue: config.keyring },
        { provide: Database, useFactory: () => database ?? Database.open(config.databaseUrl) },
        // Each logs its errors (throttled) to the gateway's logger, as do its duplicates and the BullMQ objects on it.
        { provide: REDIS, useFactory: (logger: Logger) => createRequestConnection(config.redisUrl, {}, logger), inject: [LOGGER] },
        { provide: BULL_CONNECTION, useFactory: (logger: Logger) => createBullConnection(config.redisUrl, {}, logger), inject: [LOGGER] },
        // Request paths add jobs: their connection times commands out, so a Redis outage answers UNAVAILABLE.
        { provide: JobProducer, useFactory: (connection: RedisConnection) => new JobProducer(connection, config.queuePrefix), inject: [REDIS] },
        { provide: OtpCodeStore, useFactory: (redis: RedisConnection) => new OtpCodeStore(redis, config.keyring, config.queuePrefix), inject: [REDIS] },
        { provide: SendRateLimiter, useFactory: (redis: RedisConnection, keyring: Keyring) => new SendRateLimiter(redis, config.queuePrefix, config.sendLimits, keyring), inject: [REDIS, Keyring] },
        { provide: PromptRateLimiter, useFactory: (redis: RedisConnection, logger: Logger) => new PromptRateLimiter(redis, config.queuePrefix, config.promptLimit, logger), inject: [REDIS, LOGGER] },
        { provide: ChallengeNotifier, useFactory: (redis: RedisConnection) => new ChallengeNotifier(redis, config.queuePrefix), inject: [REDIS] },
        { provide: GatewayMetrics, useFactory: () => new GatewayMetrics(createMetricsRegistry()) },
        { provide: Clock, useClass: SystemClock },
        loggerProvider,
        HttpFallback,
        ApiKeyAuthService,
        ChallengeLifecycle,
        LockoutService,
        TotpService,
        TotpVerifier,
        CodeChecker,
        AttemptRecorder,
        ChallengeFactory,
        OutOfBandDispatcher,
        DeliveryWithdrawal,
        ChallengeEventsConsumer,
        GrpcCallInterceptor,
        DeviceAuthService,
        DuoClient,
        DuoFactorService,
        ExpirySweeper,
        LegacyEnrollUrlSealer,
        DeliveryRelay,
        ReadinessProbe,
        GrpcHealthReporter,
        ...USE_CASES,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DeviceJsonBodyMiddleware).forRoutes(DeviceController);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrapApiKey) await new TenantAdmin(this.database).ensureBootstrapTenant(this.config.bootstrapApiKey);
  }

  async onApplicationShutdown(): Promise<void> {
    this.notifier.close();
    await this.producer.close();
    this.bullConnection.disconnect();
    this.redis.disconnect();
    await this.database.close();
    this.logger.info('gateway stopped');
  }
}
