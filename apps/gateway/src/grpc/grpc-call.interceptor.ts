import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status, type Metadata } from '@grpc/grpc-js';
import { catchError, defer, finalize, mergeMap, type Observable, tap, throwError } from 'rxjs';
import { DomainError, DomainErrorCode, invalidArgument } from '@mfa/domain';
import { GatewayMetrics, type Logger } from '@mfa/observability';
import { ApiKeyAuthService } from '../services/api-key-auth.service';
import { LOGGER } from '../services/logger.provider';
import { isEndedByShutdown } from '../usecases/watch-challenge.usecase';
import { toGrpcError } from './grpc-status';
import { malformation, MAX_METADATA_BYTES, metadataBytes } from './strict-decoding';
import { attachTenant } from './tenant.decorator';

/**
 * Every MfaService call passes here: authenticate the API key, run the handler, count and time
 * it, and turn whatever it threw into the gRPC status the contract names.
 */
@Injectable()
export class GrpcCallInterceptor implements NestInterceptor {
  constructor(
    private readonly auth: ApiKeyAuthService,
    private readonly metrics: GatewayMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handlerName = context.getHandler().name;
    const method = handlerName.charAt(0).toUpperCase() + handlerName.slice(1);
    const metadata = context.switchToRpc().getContext<Metadata>();
    const stopTimer = this.metrics.grpcDuration.startTimer({ method });
    let code: status = status.OK;
    const request = context.switchToRpc().getData<unknown>();
    return defer(async () => {
      if (metadataBytes(metadata) > MAX_METADATA_BYTES) throw new DomainError(DomainErrorCode.ResourceExhausted, `request metadata exceeds ${MAX_METADATA_BYTES} bytes`, { reason: 'metadata_too_large' });
      const problem = malformation(request);
      if (problem) throw invalidArgument('request', `malformed request: ${problem}`);
      const authorization = metadata.get('authorization')[0];
      attachTenant(metadata, await this.auth.authenticate(typeof authorization === 'string' ? authorization : undefined));
    }).pipe(
      mergeMap(() => next.handle()),
      catchError((error: unknown) => {
        const grpcError = toGrpcError(error);
        code = grpcError.code;
        if (isEndedByShutdown(error)) this.logger.info({ method }, 'gRPC call ended by shutdown');
        else if (code === status.INTERNAL || code === status.UNAVAILABLE) this.logger.error({ err: error, method }, 'gRPC call failed');
        return throwError(() => new RpcException(grpcError));
      }),
      tap({ error: () => undefined }),
      finalize(() => {
        stopTimer();
        this.metrics.grpcRequests.inc({ method, code: status[code] });
      }),
    );
  }
}
