import { Injectable } from '@nestjs/common';
import { setGrpcReady } from '../grpc/grpc-options';
import { PeriodicTask } from './periodic-task';
import { ReadinessProbe } from './readiness-probe';

export const GRPC_HEALTH_INTERVAL_MS = 5_000;

/**
 * Keeps `grpc.health.v1` in step with /readyz: a load balancer that health-checks over gRPC
 * sends no calls to a replica whose database or Redis does not answer.
 */
@Injectable()
export class GrpcHealthReporter extends PeriodicTask {
  constructor(private readonly readiness: ReadinessProbe) {
    super(GRPC_HEALTH_INTERVAL_MS);
  }

  /** Probes at once too, so the first answer does not wait for the first interval. */
  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    void this.report();
  }

  protected tick(): Promise<number> {
    return this.report();
  }

  /** Probes once and reports the result; returns 1 when it ran. */
  report(): Promise<number> {
    return this.exclusively(async () => {
      setGrpcReady((await this.readiness.check()).ready);
      return 1;
    });
  }
}
