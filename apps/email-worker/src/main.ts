import { runWorkerMain } from '@mfa/worker-host';
import { emailWorker } from './email-worker.worker';

runWorkerMain(emailWorker);
