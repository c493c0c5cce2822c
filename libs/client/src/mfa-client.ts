import { credentials, loadPackageDefinition, Metadata, status, type CallOptions, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { MFA_PROTO_PATH, PROTO_LOADER_OPTIONS } from '@mfa/contracts';
import type * as pb from '@mfa/contracts';

export interface MfaClientOptions {
  /** `host:port` of the gateway's gRPC port. */
  address: string;
  apiKey: string;
  /** Per-call deadline (default 5 s). */
  timeoutMs?: number;
  /** Extra tries after UNAVAILABLE, the only status that is safe to retry blindly (default 2). */
  retries?: number;
  credentials?: ChannelCredentials;
}

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: CallOptions, callback: (error: ServiceError | null, response: Res) => void) => void;

interface RawClient {
  [method: string]: Unary<unknown, unknown> | unknown;
  WatchChallenge(request: pb.GetChallengeRequest, metadata: Metadata, options?: CallOptions): ClientReadableStream<pb.Challenge>;
  close(): void;
}

let cachedConstructor: (new (address: string, creds: ChannelCredentials) => RawClient) | undefined;

function serviceConstructor(): new (address: string, creds: ChannelCredentials) => RawClient {
  if (!cachedConstructor) {
    const definition = loadPackageDefinition(loadSync(MFA_PROTO_PATH, PROTO_LOADER_OPTIONS)) as unknown as { mfa: { v1: { MfaService: new (address: string, creds: ChannelCredentials) => RawClient } } };
    cachedConstructor = definition.mfa.v1.MfaService;
  }
  return cachedConstructor;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Typed promise client for mfa.v1.MfaService, for internal services and tests. */
export class MfaClient {
  private readonly raw: RawClient;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: MfaClientOptions) {
    const Constructor = serviceConstructor();
    this.raw = new Constructor(options.address, options.credentials ?? credentials.createInsecure());
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.retries = options.retries ?? 2;
  }

  private metadata(): Metadata {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${this.options.apiKey}`);
    return metadata;
  }

  private async call<Req, Res>(method: string, request: Req): Promise<Res> {
    const fn = this.raw[method] as Unary<Req, Res>;
    for (let attempt = 0; ; attempt++) {
      try {
        return await new Promise<Res>((resolve, reject) => {
          fn.call(this.raw, request, this.metadata(), { deadline: Date.now() + this.timeoutMs }, (error, response) => (error ? reject(error) : resolve(response)));
        });
      } catch (error) {
        if ((error as ServiceError).code !== status.UNAVAILABLE || attempt >= this.retries) throw error;
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  enrollFactor = (r: Partial<pb.EnrollFactorRequest>): Promise<pb.EnrollFactorResponse> => this.call('EnrollFactor', r);
  confirmEnrollment = (r: pb.ConfirmEnrollmentRequest): Promise<pb.Factor> => this.call('ConfirmEnrollment', r);
  listFactors = (r: pb.ListFactorsRequest): Promise<pb.ListFactorsResponse> => this.call('ListFactors', r);
  deleteFactor = (r: pb.DeleteFactorRequest): Promise<pb.DeleteFactorResponse> => this.call('DeleteFactor', r);
  getUserStatus = (r: pb.GetUserStatusRequest): Promise<pb.UserStatus> => this.call('GetUserStatus', r);
  startChallenge = (r: Partial<pb.StartChallengeRequest>): Promise<pb.Challenge> => this.call('StartChallenge', r);
  verifyChallenge = (r: pb.VerifyChallengeRequest): Promise<pb.VerifyChallengeResponse> => this.call('VerifyChallenge', r);
  getChallenge = (r: pb.GetChallengeRequest): Promise<pb.Challenge> => this.call('GetChallenge', r);
  cancelChallenge = (r: pb.GetChallengeRequest): Promise<pb.Challenge> => this.call('CancelChallenge', r);
  generateRecoveryCodes = (r: pb.GenerateRecoveryCodesRequest): Promise<pb.RecoveryCodes> => this.call('GenerateRecoveryCodes', r);
  redeemRecoveryCode = (r: pb.RedeemRecoveryCodeRequest): Promise<pb.VerifyChallengeResponse> => this.call('RedeemRecoveryCode', r);
  getPolicy = (): Promise<pb.Policy> => this.call('GetPolicy', {});
  setPolicy = (r: Partial<pb.Policy>): Promise<pb.Policy> => this.call('SetPolicy', r);
  listAuditEvents = (r: Partial<pb.ListAuditEventsRequest>): Promise<pb.ListAuditEventsResponse> => this.call('ListAuditEvents', r);

  /** The challenge's current state, then every change until a final status. */
  watchChallenge(r: pb.GetChallengeRequest, options: CallOptions = {}): ClientReadableStream<pb.Challenge> {
    return this.raw.WatchChallenge(r, this.metadata(), options);
  }

  close(): void {
    this.raw.close();
  }
}
