/** How the AWS adapters talk to AWS: retries, timeouts, mode. Shared by every client they build. */
export interface AwsClientOptions {
  /** Attempts per call, the first included (the SDK's standard retry strategy, full jitter). Default 3. */
  maxAttempts: number;
  /** Base of the exponential backoff, ms (full jitter: a delay is random in [0, base × 2^attempt], capped at 20 s). Default 100. */
  retryBaseDelayMs: number;
  /** The whole request and response, ms, per attempt. Default 3000: a Lambda of 30 s can afford 3 attempts of several calls. */
  requestTimeoutMs: number;
  /** The TCP (and TLS) connection, ms. Default 1000. */
  connectionTimeoutMs: number;
}

export const DEFAULT_AWS_CLIENT_OPTIONS: AwsClientOptions = {
  maxAttempts: 3,
  retryBaseDelayMs: 100,
  requestTimeoutMs: 3000,
  connectionTimeoutMs: 1000,
};

/** `act` makes the calls; `dry-run` makes only the describe calls and logs the changes it would make. */
export type AwsActMode = 'act' | 'dry-run';

/** Where the adapters log (the runtime's JSON logger fits). */
export interface AwsLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}
