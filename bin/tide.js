#!/usr/bin/env node
// The `tide` command runs the bundled CLI (dist/tide.mjs), which `npm ci` builds through the `prepare` script
// and `npm run build` rebuilds (tools/cli/build.mjs says why it is built, not committed).
let cli;
try {
  cli = await import('../dist/tide.mjs');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/tide.mjs')) throw error;
  process.stderr.write(
    'tide: the CLI is not built (dist/tide.mjs is missing); run `npm run build` in the repository\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
