/**
 * The values of the TIDE_PROMETHEUS_ variables (the credentials policies name for their Prometheus queries),
 * for the logger's list of what never reaches a line. A module of its own: every runtime's start reads it,
 * and only a tick with a Prometheus metric loads the query code.
 */
export function prometheusSecretsOf(env: Record<string, string | undefined>): string[] {
  return Object.entries(env).flatMap(([name, value]) =>
    name.startsWith('TIDE_PROMETHEUS_') && value && value.length >= 4 ? [value] : [],
  );
}
