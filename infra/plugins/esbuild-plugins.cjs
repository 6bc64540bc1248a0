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
 *
 * zod-without-json-schema: every classic zod schema carries a `toJSONSchema()` method and a `~standard.jsonSchema`
 * one, so zod's JSON Schema generator (`core/to-json-schema.js`, `core/json-schema-processors.js`: about 19 KB
 * minified) is in any bundle that uses zod, though a function never converts a schema: the OpenAPI document is
 * generated at build time (functions/http/openapi-document.ts, `npm run docs:openapi`) and `tide schema` is the
 * CLI's. The bundles carry stand-ins with the same exports that throw saying so when called (the two
 * `create…Method` factories, called as a schema is built, return such a function).
 *
 * pino-sync-only: pino (the runtime's logger, adapters/logger/json-logger.ts) requires at load what only its
 * worker-thread transports (`pino.transport`, thread-stream) and its file destination (`pino.destination`,
 * sonic-boom) use: about 22 KB minified, and its path redaction and multistream (about 7 KB). Tide hands pino a
 * synchronous writer, redacts in its own formatter and uses none of them, so the bundles carry stand-ins that
 * throw saying so if anything ever calls them.
 */
const { readFileSync } = require('node:fs');
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

/** The names a module exports (`export function x`, `export const x`, `export { a as b }`). */
function exportNames(source) {
  const names = new Set();
  for (const [, name] of source.matchAll(/^export (?:async )?(?:function\*?|const|let|class) ([A-Za-z_$][\w$]*)/gm))
    names.add(name);
  for (const [, list] of source.matchAll(/^export \{([^}]*)\}/gm))
    for (const item of list.split(',')) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name);
    }
  return [...names];
}

const NO_JSON_SCHEMA =
  'zod JSON Schema is not in the function bundle (infra/plugins/esbuild-plugins.cjs: zod-without-json-schema)';
const zodWithoutJsonSchema = {
  name: 'zod-without-json-schema',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/](to-json-schema|json-schema-processors)\.js$/ }, (args) => {
      const names = exportNames(readFileSync(args.path, 'utf8'));
      const lines = [`function unavailable() { throw new Error(${JSON.stringify(NO_JSON_SCHEMA)}); }`];
      for (const name of names)
        lines.push(
          /^create\w*Method$/.test(name)
            ? `export const ${name} = () => unavailable;`
            : /Processors$/.test(name)
              ? `export const ${name} = {};`
              : `export const ${name} = unavailable;`,
        );
      return { contents: `${lines.join('\n')}\n`, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const NOT_BUNDLED = 'is not in the function bundle (infra/plugins/esbuild-plugins.cjs: pino-sync-only)';
const pinoSyncOnly = {
  name: 'pino-sync-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]pino[\\/]lib[\\/]transport\.js$/ }, () => ({
      contents: `module.exports = function transport() { throw new Error('pino.transport ${NOT_BUNDLED}'); };`,
      loader: 'js',
    }));
    // pino checks `stream instanceof SonicBoom`, so the stand-in is a class.
    build.onLoad({ filter: /[\\/]sonic-boom[\\/]index\.js$/ }, () => ({
      contents: `module.exports = class SonicBoom { constructor() { throw new Error('pino.destination ${NOT_BUNDLED}'); } };`,
      loader: 'js',
    }));
    // Path redaction (`redact: [...]`, @pinojs/redact) and `pino.multistream`: Tide redacts in its own formatter
    // (adapters/logger/json-logger.ts) and writes one stream, so neither is called (about 7 KB minified).
    build.onLoad({ filter: /[\\/]pino[\\/]lib[\\/]redaction\.js$/ }, () => ({
      contents: `module.exports = function redaction() { throw new Error('pino redact paths ${NOT_BUNDLED}'); };`,
      loader: 'js',
    }));
    build.onLoad({ filter: /[\\/]pino[\\/]lib[\\/]multistream\.js$/ }, () => ({
      contents: `module.exports = function multistream() { throw new Error('pino.multistream ${NOT_BUNDLED}'); };`,
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly, zodWithoutJsonSchema, pinoSyncOnly];
