'use strict';
/**
 * Lets one serverless.yml serve both osls (the open-source v3 line) and Serverless Framework v4.
 *
 * v4 bundles TypeScript with its own esbuild unless `build: { esbuild: false }` says not to, and then the
 * serverless-esbuild plugin (which both frameworks run) does the bundling. osls has no `build` key and
 * rejects unknown top-level keys. This plugin declares `build` to osls's schema only when the framework
 * does not already know it, so both keep validating everything else strictly.
 */
class AcceptV4BuildKey {
  constructor(serverless) {
    const handler = serverless.configSchemaHandler;
    if (!handler?.schema?.properties) return;
    if (handler.schema.properties.build) return; // v4: its own definition stands
    handler.defineTopLevelProperty('build', {
      type: 'object',
      properties: { esbuild: { anyOf: [{ type: 'boolean' }, { type: 'object' }] } },
      additionalProperties: false,
    });
  }
}

module.exports = AcceptV4BuildKey;
