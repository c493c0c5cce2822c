import { runWorkerMain } from '@mfa/worker-host';
import { createDuoWorker } from './duo.worker';

runWorkerMain(createDuoWorker());
