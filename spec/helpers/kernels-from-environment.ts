/**
 * Loaded by mocha before every spec file (.mocharc.json "require"): BNEXT_KERNELS=reference runs
 * the suite on the reference kernels (io/environment.ts), as `npm test` does for the golden specs
 * (package.json "test:reference").
 */
import { kernelsFromEnvironment } from '../../src/io/environment';

if (kernelsFromEnvironment() === 'reference') console.log('kernels: reference (BNEXT_KERNELS=reference)');
