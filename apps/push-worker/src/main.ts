import { runWorkerMain } from '@mfa/worker-host';
import { pushWorker } from './push-worker.worker';

runWorkerMain(pushWorker);
