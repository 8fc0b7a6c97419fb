/**
 * Loaded by mocha before any spec (.mocharc.json): the `bnext` processes specs start through
 * bin/bnext.mjs run the TypeScript sources (through tsx), not the compiled dist/, so a spec
 * always tests the code as it is. The compiled package has its own spec (spec/package.spec.ts).
 */
process.env.BNEXT_FROM_SOURCE = '1';
