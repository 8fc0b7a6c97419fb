/** A worker thread entry for spec/io/environment.spec.ts: reports the kernels it starts on. */
import { parentPort } from 'node:worker_threads';
import { kernelsFromEnvironment } from '../../src/io/environment';

parentPort?.postMessage(kernelsFromEnvironment());
