import { runWorkerMain } from '@mfa/worker-host';
import { otpWorker } from './otp.worker';

runWorkerMain(otpWorker);
