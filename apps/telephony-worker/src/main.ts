import { runWorkerMain } from '@mfa/worker-host';
import { createTelephonyWorker } from './telephony.worker';

runWorkerMain(createTelephonyWorker());
