import { Controller, Get, Inject, Module, Res, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import type { Response } from 'express';
import type { RunningWorker } from '@mfa/queue';
import type { WorkerContext, WorkerDefinition } from './worker-context';

export const WORKER_CONTEXT = Symbol('WORKER_CONTEXT');
export const WORKER_DEFINITION = Symbol('WORKER_DEFINITION');

const PROBE_TIMEOUT_MS = 2_000;

@Controller()
class WorkerHttpController {
  constructor(@Inject(WORKER_CONTEXT) private readonly context: WorkerContext) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when Redis answers: without it the worker can take no job. */
  @Get('readyz')
  async readyz(@Res() response: Response): Promise<void> {
    const redis = await Promise.race([
      this.context.redis.ping().then(() => 'ok' as const),
      new Promise<'unavailable'>((resolve) => setTimeout(() => resolve('unavailable'), PROBE_TIMEOUT_MS).unref()),
    ]).catch(() => 'unavailable' as const);
    response.status(redis === 'ok' ? 200 : 503).json({ status: redis === 'ok' ? 'ready' : 'not_ready', checks: { redis } });
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.context.metrics.registry.contentType);
    response.send(await this.context.metrics.registry.metrics());
  }
}

/** Hosts one worker: HTTP probes and metrics, start on boot, drain on shutdown. */
@Module({})
export class WorkerHostModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: RunningWorker[] = [];

  constructor(
    @Inject(WORKER_CONTEXT) private readonly context: WorkerContext,
    @Inject(WORKER_DEFINITION) private readonly definition: WorkerDefinition,
  ) {}

  static forWorker(definition: WorkerDefinition, context: WorkerContext): DynamicModule {
    return {
      module: WorkerHostModule,
      controllers: [WorkerHttpController],
      providers: [
        { provide: WORKER_CONTEXT, useValue: context },
        { provide: WORKER_DEFINITION, useValue: definition },
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.running = await this.definition.start(this.context);
    for (const { worker } of this.running) {
      // Time from a worker taking a job to it finishing, whatever the outcome.
      const observe = (job?: { processedOn?: number; finishedOn?: number }): void => {
        if (job?.processedOn) this.context.metrics.jobDuration.observe({ queue: worker.name }, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
      };
      worker.on('completed', observe);
      worker.on('failed', observe);
    }
  }

  /** SIGTERM: stop taking jobs, finish those in flight (not waiting for an unreachable Redis), then let go of Redis. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.context.logger.info({ signal }, 'draining');
    await Promise.all(this.running.map((w) => w.close()));
    await this.context.producer.close();
    this.context.bullConnection.disconnect();
    this.context.redis.disconnect();
    this.context.logger.info('stopped');
  }
}
