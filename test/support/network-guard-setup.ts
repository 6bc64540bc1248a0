/**
 * Installed for every test file (vitest.config.ts `setupFiles`): any connection past loopback fails the test
 * that makes it (see ./loopback-guard.ts), so no client can reach a real cloud, a metadata server or a registry.
 */
import { installLoopbackGuard } from './loopback-guard.ts';

installLoopbackGuard();
