import { parseArgs } from 'node:util';
import type { StateStore } from '../../../adapters/ports/state-store.ts';
import { createStateStore, stateConfigFromEnv } from '../../../adapters/state/index.ts';
import { addDays, EXCHANGE_CODES, exchangeDay, exchangeTimeZone } from '../../../core/calendars/index.ts';
import { EXCHANGE_RULES as EXCHANGES } from '../../../core/calendars/rules.ts';
import type { ExchangeDay, ExchangeOverride } from '../../../core/calendars/types.ts';
import { formatProblem, ValidationError } from '../../../core/errors.ts';
import { recordExchangeOverride, removeExchangeOverride } from '../../shell/exchange-calendars.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';

const USAGE = `tide calendars close EXCHANGE DATE --reason TEXT              record an unscheduled closure
tide calendars hours EXCHANGE DATE [--open HH:MM] [--close HH:MM] --reason TEXT   record changed hours
tide calendars remove EXCHANGE DATE                            forget a recorded closure or change
tide calendars list                                            the recorded closures and changes
tide calendars show EXCHANGE [DATE] [--days N]                 sessions by rule, with the recorded changes
  EXCHANGE is an ISO 10383 MIC: ${EXCHANGE_CODES.join(', ')}. DATE is the exchange's local date, YYYY-MM-DD.
  Recording needs the deployment's state store (REDIS_URL, or UPSTASH_REDIS_REST_URL and _TOKEN;
  TIDE_DEPLOYMENT names the deployment); "show" works without one.`;

/** Where the command finds the state store and the time; tests pass their own. */
export interface CalendarsDependencies {
  openStore(): StateStore | undefined;
  now(): number;
}

const processDependencies: CalendarsDependencies = {
  openStore() {
    const config = stateConfigFromEnv(process.env);
    if (config.backend.kind === 'memory') return undefined;
    return createStateStore(config, { info: () => {}, warn: () => {} });
  },
  now: () => Date.now(),
};

function describeDay(day: ExchangeDay | undefined): string {
  if (!day) return 'unknown exchange';
  if (day.status === 'closed') return `${day.date} closed: ${day.reason}`;
  if (day.status === 'unknown') return `${day.date} unknown: ${day.reason}`;
  const zone = exchangeTimeZone(day.exchange);
  const time = (at: number) =>
    new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(at);
  const breaks = day.breaks.map(([s, e]) => `, break ${time(s).slice(11)}–${time(e).slice(11)}`).join('');
  return `${day.date} open ${time(day.open)} – ${time(day.close).slice(11)} ${zone}${breaks}${day.note ? ` (${day.note})` : ''}`;
}

function requireStore(deps: CalendarsDependencies): StateStore {
  const store = deps.openStore();
  if (!store)
    throw new UsageError(
      'recording a closure needs the deployment state store: set REDIS_URL, or UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN',
    );
  return store;
}

async function record(deps: CalendarsDependencies, document: Record<string, unknown>, io: CliIo): Promise<number> {
  const store = requireStore(deps);
  try {
    const override = await recordExchangeOverride(store, document, deps.now());
    io.out(`recorded: ${describeOverride(override)}`);
    io.out(`  now: ${describeDay(exchangeDay(override.exchange, override.date, [override]))}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    io.err(`invalid closure: ${error.problems.length} error(s)`);
    for (const problem of error.problems) io.err(`  ${formatProblem(problem)}`);
    return 2;
  } finally {
    await store.close();
  }
}

function describeOverride(o: ExchangeOverride): string {
  const hours = [o.open && `open ${o.open}`, o.close && `close ${o.close}`].filter(Boolean).join(', ');
  return `${o.exchange} ${o.date} ${o.status === 'closed' ? 'closed' : hours}: ${o.reason}`;
}

export function calendarsCommand(deps: CalendarsDependencies = processDependencies): CliCommand {
  return {
    name: 'calendars',
    usage: USAGE,
    async run(args, io) {
      const { positionals, values } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          reason: { type: 'string' },
          open: { type: 'string' },
          close: { type: 'string' },
          days: { type: 'string' },
        },
      });
      const [action, exchange, date] = positionals;
      switch (action) {
        case 'close':
        case 'hours': {
          if (!exchange || !date || positionals.length !== 3) throw new UsageError('expected EXCHANGE and DATE');
          if (values.reason === undefined) throw new UsageError('--reason is required (it goes into every decision)');
          const document: Record<string, unknown> = {
            exchange,
            date,
            status: action === 'close' ? 'closed' : 'hours',
            reason: values.reason,
          };
          if (values.open !== undefined) document.open = values.open;
          if (values.close !== undefined) document.close = values.close;
          return record(deps, document, io);
        }
        case 'remove': {
          if (!exchange || !date || positionals.length !== 3) throw new UsageError('expected EXCHANGE and DATE');
          const store = requireStore(deps);
          try {
            const removed = await removeExchangeOverride(store, exchange, date);
            io.out(removed ? `removed ${exchange} ${date}` : `nothing recorded for ${exchange} ${date}`);
            return removed ? 0 : 1;
          } finally {
            await store.close();
          }
        }
        case 'list': {
          const store = requireStore(deps);
          try {
            const overrides = await store.listExchangeOverrides();
            if (overrides.length === 0) io.out('no recorded closures or changed hours');
            for (const o of overrides) io.out(describeOverride(o));
            return 0;
          } finally {
            await store.close();
          }
        }
        case 'show': {
          if (!exchange || !EXCHANGES[exchange])
            throw new UsageError(
              `expected an EXCHANGE, one of ${EXCHANGE_CODES.join(', ')}, was: ${JSON.stringify(exchange)}`,
            );
          const days = Number(values.days ?? '1');
          if (!Number.isInteger(days) || days < 1 || days > 366)
            throw new UsageError(`--days must be 1-366, was: ${values.days}`);
          const store = deps.openStore();
          try {
            const overrides = store ? await store.listExchangeOverrides() : [];
            const first =
              date ?? new Intl.DateTimeFormat('en-CA', { timeZone: exchangeTimeZone(exchange) }).format(deps.now());
            if (!/^\d{4}-\d{2}-\d{2}$/.test(first)) throw new UsageError(`DATE must be YYYY-MM-DD, was: ${first}`);
            io.out(`${exchange}: ${EXCHANGES[exchange]?.name} (source: ${EXCHANGES[exchange]?.source})`);
            for (let i = 0; i < days; i += 1)
              io.out(`  ${describeDay(exchangeDay(exchange, addDays(first, i), overrides))}`);
            return 0;
          } finally {
            await store?.close();
          }
        }
        default:
          throw new UsageError(`expected close, hours, remove, list or show, was: ${JSON.stringify(action)}`);
      }
    },
  };
}
