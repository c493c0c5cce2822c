import { Controller, UseInterceptors } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import type * as pb from '@mfa/contracts';
import { map, type Observable } from 'rxjs';
import type { TenantContext } from '../services/tenant-context';
import { CancelChallengeUseCase } from '../usecases/cancel-challenge.usecase';
import { ConfirmEnrollmentUseCase } from '../usecases/confirm-enrollment.usecase';
import { DeleteFactorUseCase } from '../usecases/delete-factor.usecase';
import { EnrollFactorUseCase } from '../usecases/enroll-factor.usecase';
import { GenerateRecoveryCodesUseCase } from '../usecases/generate-recovery-codes.usecase';
import { GetChallengeUseCase } from '../usecases/get-challenge.usecase';
import { GetUserStatusUseCase } from '../usecases/get-user-status.usecase';
import { ListAuditEventsUseCase } from '../usecases/list-audit-events.usecase';
import { ListFactorsUseCase } from '../usecases/list-factors.usecase';
import { SetPolicyUseCase } from '../usecases/policy.usecase';
import { RedeemRecoveryCodeUseCase } from '../usecases/redeem-recovery-code.usecase';
import { StartChallengeUseCase } from '../usecases/start-challenge.usecase';
import { VerifyChallengeUseCase } from '../usecases/verify-challenge.usecase';
import { WatchChallengeUseCase } from '../usecases/watch-challenge.usecase';
import { GrpcCallInterceptor } from './grpc-call.interceptor';
import * as parse from './request-parsers';
import * as mappers from './response-mappers';
import { toChallenge } from './response-mappers';
import { Tenant } from './tenant.decorator';

const SERVICE = 'MfaService';

/** mfa.v1.MfaService: each handler parses, calls one use case and maps the result. */
@Controller()
@UseInterceptors(GrpcCallInterceptor)
export class MfaController {
  constructor(
    private readonly enrollFactorUseCase: EnrollFactorUseCase,
    private readonly confirmEnrollmentUseCase: ConfirmEnrollmentUseCase,
    private readonly listFactorsUseCase: ListFactorsUseCase,
    private readonly deleteFactorUseCase: DeleteFactorUseCase,
    private readonly getUserStatusUseCase: GetUserStatusUseCase,
    private readonly startChallengeUseCase: StartChallengeUseCase,
    private readonly verifyChallengeUseCase: VerifyChallengeUseCase,
    private readonly getChallengeUseCase: GetChallengeUseCase,
    private readonly cancelChallengeUseCase: CancelChallengeUseCase,
    private readonly generateRecoveryCodesUseCase: GenerateRecoveryCodesUseCase,
    private readonly redeemRecoveryCodeUseCase: RedeemRecoveryCodeUseCase,
    private readonly setPolicyUseCase: SetPolicyUseCase,
    private readonly listAuditEventsUseCase: ListAuditEventsUseCase,
    private readonly watchChallengeUseCase: WatchChallengeUseCase,
  ) {}

  @GrpcMethod(SERVICE, 'EnrollFactor')
  async enrollFactor(@Payload() request: pb.EnrollFactorRequest, @Tenant() tenant: TenantContext): Promise<pb.EnrollFactorResponse> {
    return mappers.toEnrollFactorResponse(await this.enrollFactorUseCase.execute(tenant, parse.parseEnrollFactor(request)));
  }

  @GrpcMethod(SERVICE, 'ConfirmEnrollment')
  async confirmEnrollment(@Payload() request: pb.ConfirmEnrollmentRequest, @Tenant() tenant: TenantContext): Promise<pb.Factor> {
    return mappers.toFactor(await this.confirmEnrollmentUseCase.execute(tenant, parse.parseConfirmEnrollment(request)));
  }

  @GrpcMethod(SERVICE, 'ListFactors')
  async listFactors(@Payload() request: pb.ListFactorsRequest, @Tenant() tenant: TenantContext): Promise<pb.ListFactorsResponse> {
    return { factors: (await this.listFactorsUseCase.execute(tenant, parse.parseUserId(request.user_id))).map(mappers.toFactor) };
  }

  @GrpcMethod(SERVICE, 'DeleteFactor')
  async deleteFactor(@Payload() request: pb.DeleteFactorRequest, @Tenant() tenant: TenantContext): Promise<pb.DeleteFactorResponse> {
    await this.deleteFactorUseCase.execute(tenant, parse.parseUserId(request.user_id), parse.parseId('factor_id', request.factor_id));
    return {};
  }

  @GrpcMethod(SERVICE, 'GetUserStatus')
  async getUserStatus(@Payload() request: pb.GetUserStatusRequest, @Tenant() tenant: TenantContext): Promise<pb.UserStatus> {
    return mappers.toUserStatus(await this.getUserStatusUseCase.execute(tenant, parse.parseUserId(request.user_id)));
  }

  @GrpcMethod(SERVICE, 'StartChallenge')
  async startChallenge(@Payload() request: pb.StartChallengeRequest, @Tenant() tenant: TenantContext): Promise<pb.Challenge> {
    return mappers.toChallenge(await this.startChallengeUseCase.execute(tenant, parse.parseStartChallenge(request)));
  }

  @GrpcMethod(SERVICE, 'VerifyChallenge')
  async verifyChallenge(@Payload() request: pb.VerifyChallengeRequest, @Tenant() tenant: TenantContext): Promise<pb.VerifyChallengeResponse> {
    return mappers.toVerifyResponse(await this.verifyChallengeUseCase.execute(tenant, parse.parseVerifyChallenge(request)));
  }

  @GrpcMethod(SERVICE, 'GetChallenge')
  async getChallenge(@Payload() request: pb.GetChallengeRequest, @Tenant() tenant: TenantContext): Promise<pb.Challenge> {
    return mappers.toChallenge(await this.getChallengeUseCase.execute(tenant, parse.parseId('challenge_id', request.challenge_id)));
  }

  @GrpcMethod(SERVICE, 'WatchChallenge')
  watchChallenge(@Payload() request: pb.GetChallengeRequest, @Tenant() tenant: TenantContext): Observable<pb.Challenge> {
    return this.watchChallengeUseCase.execute(tenant, parse.parseId('challenge_id', request.challenge_id)).pipe(map(toChallenge));
  }

  @GrpcMethod(SERVICE, 'CancelChallenge')
  async cancelChallenge(@Payload() request: pb.GetChallengeRequest, @Tenant() tenant: TenantContext): Promise<pb.Challenge> {
    return mappers.toChallenge(await this.cancelChallengeUseCase.execute(tenant, parse.parseId('challenge_id', request.challenge_id)));
  }

  @GrpcMethod(SERVICE, 'GenerateRecoveryCodes')
  async generateRecoveryCodes(@Payload() request: pb.GenerateRecoveryCodesRequest, @Tenant() tenant: TenantContext): Promise<pb.RecoveryCodes> {
    return { codes: await this.generateRecoveryCodesUseCase.execute(tenant, parse.parseUserId(request.user_id)) };
  }

  @GrpcMethod(SERVICE, 'RedeemRecoveryCode')
  async redeemRecoveryCode(@Payload() request: pb.RedeemRecoveryCodeRequest, @Tenant() tenant: TenantContext): Promise<pb.VerifyChallengeResponse> {
    const result = await this.redeemRecoveryCodeUseCase.execute(tenant, parse.parseUserId(request.user_id), parse.parseCode(request.code));
    return { ok: result.ok, challenge: null, attempts_remaining: result.attemptsRemaining };
  }

  @GrpcMethod(SERVICE, 'GetPolicy')
  async getPolicy(@Payload() _request: pb.GetPolicyRequest, @Tenant() tenant: TenantContext): Promise<pb.Policy> {
    return mappers.toPolicy(tenant.policy);
  }

  @GrpcMethod(SERVICE, 'SetPolicy')
  async setPolicy(@Payload() request: pb.Policy, @Tenant() tenant: TenantContext): Promise<pb.Policy> {
    return mappers.toPolicy(await this.setPolicyUseCase.execute(tenant, parse.parsePolicy(request)));
  }

  @GrpcMethod(SERVICE, 'ListAuditEvents')
  async listAuditEvents(@Payload() request: pb.ListAuditEventsRequest, @Tenant() tenant: TenantContext): Promise<pb.ListAuditEventsResponse> {
    const userId = request.user_id ? parse.parseUserId(request.user_id) : '';
    return mappers.toAuditPage(await this.listAuditEventsUseCase.execute(tenant, userId, request.page_size ?? 0, request.page_token ?? ''));
  }
}
