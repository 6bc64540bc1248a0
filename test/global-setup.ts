import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Tests that spawn `bin/tide.js` run the bundled CLI in dist/. A clean clone has it from `npm ci` (the
 * `prepare` script); a worktree or an edited source may not, so build it here when it is missing or older
 * than what it was built from (about a second; nothing when it is current).
 */
export default function setup(): void {
  const build = fileURLToPath(new URL('../tools/cli/build.mjs', import.meta.url));
  execFileSync(process.execPath, [build, '--if-stale'], { stdio: 'inherit' });
}
