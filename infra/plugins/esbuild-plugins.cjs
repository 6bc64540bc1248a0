'use strict';
/**
 * esbuild plugins for the function bundles (serverless.yml `custom.esbuild.plugins`; tools/bench/function-build.ts
 * loads the same file, so the bench, the tests and `build:gcp` bundle what is deployed).
 *
 * zod-english-only: zod's `z` namespace re-exports its 49 translations of its error messages
 * (`z.locales`, about 300 KB minified). Tree shaking cannot drop them once something holds the namespace
 * as an object, as `@hono/zod-openapi` does (`extendZodWithOpenApi(z)`). Tide's messages are English and
 * nothing selects another locale, so zod's locale index is bundled with `en` only (the one zod configures
 * by default); `z.locales.en` stays, any other `z.locales.*` is undefined in the bundle.
 */
const { dirname } = require('node:path');

const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

module.exports = [zodEnglishOnly];
