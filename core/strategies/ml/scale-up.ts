import { nextLarger, nextSmaller, totalGpuMemoryGiB, type InstanceTypeInfo } from '../../catalog/index.ts';
import type { Action, Hold } from '../../decision.ts';
import type { MlState } from '../../schema/ml-memory.ts';
import type { Signal } from '../../schema/signal.ts';
import { poolViews, usd, type MlContext, type MlStep } from './context.ts';
import { own, withEntry } from '../../dictionary.ts';

/** Which way the scale-up step went: a type change (skip horizontal this time) or leave it to replicas. */
export type ScaleUpVerdict = 'vertical' | 'horizontal' | 'none';

function watched(ctx: MlContext): string[] {
  const s = ctx.policy.scaleUp;
  return [s.latencyMetric, s.concurrencyMetric, s.gpuMemoryMetric, s.oomMetric, s.gpuUtilizationMetric];
}

/** Keep the latest value of every metric the scale-up step reads (they need not be tracked metrics). */
export function recordScaleUpMetric(ctx: MlContext, ml: MlState, signal: Signal): MlState {
  let metric: string | undefined;
  let value: number | undefined;
  if (signal.kind === 'metric') {
    metric = signal.metric;
    value = signal.value;
  } else if (signal.kind === 'alarm') {
    metric = signal.metric;
    value = signal.value ?? signal.datapoints?.at(-1);
  }
  // Only the vertical and hybrid modes read these; a horizontal endpoint (the default) keeps nothing, so
  // the common path allocates nothing. A switch to hybrid starts reading within one metric period.
  if (ctx.target.kind !== 'inference-endpoint' || ctx.policy.mode === 'horizontal') return ml;
  if (metric === undefined || value === undefined || !watched(ctx).includes(metric)) return ml;
  const previous = own(ml.metrics, metric);
  if (previous && previous[0] > signal.observedAt) return ml; // a late, older sample does not replace a newer one
  return { ...ml, metrics: withEntry(ml.metrics, metric, [signal.observedAt, value]) };
}

/** One step of a rolling type change: ready replicas of the old and the new type. */
export interface RollingStep {
  oldReady: number;
  newReady: number;
}

/**
 * How a rolling change of `count` replicas goes with `maxSurge` new ones at a time: bring a batch of new
 * replicas up, then release as many old ones. Ready replicas never drop below `count`, so never below the
 * minimum when `count` is at least the minimum.
 */
export function planRollingChange(count: number, maxSurge: number): RollingStep[] {
  const steps: RollingStep[] = [{ oldReady: count, newReady: 0 }];
  let oldReady = count;
  let newReady = 0;
  while (newReady < count) {
    const batch = Math.min(Math.max(1, maxSurge), count - newReady);
    newReady += batch;
    steps.push({ oldReady, newReady });
    oldReady -= batch;
    steps.push({ oldReady, newReady });
  }
  return steps;
}

function fresh(ctx: MlContext, ml: MlState, metric: string): number | undefined {
  const sample = own(ml.metrics, metric);
  if (!sample || ctx.now - sample[0] > ctx.policy.scaleUp.staleAfterSeconds * 1000 || sample[0] > ctx.now)
    return undefined;
  return sample[1];
}

function perGiB(info: InstanceTypeInfo): number {
  return info.onDemandUsdPerHour / totalGpuMemoryGiB(info);
}

/**
 * The scale-up step for inference endpoints in vertical or hybrid mode. Up one rung when latency breaches
 * the SLO and more replicas would not help (per-replica concurrency already low, GPU memory near full, or
 * out-of-memory errors); in hybrid mode a throughput bottleneck (high per-replica concurrency) is left to
 * more replicas, and with no evidence either way the cheaper per GiB of GPU memory wins. Down one rung after
 * `stepDownAfterSeconds` of low GPU use with latency well under the SLO. No change within `minDwellSeconds`
 * of the last one, so a noisy signal cannot make it flap.
 */
export function planScaleUp(ctx: MlContext, ml: MlState): { step: MlStep; verdict: ScaleUpVerdict } {
  const s = ctx.policy.scaleUp;
  const reasons: string[] = [];
  const holds: Hold[] = [];
  const nothing = (verdict: ScaleUpVerdict, next: MlState = ml) => ({
    step: { actions: [], holds, reasons, ml: next },
    verdict,
  });
  if (ctx.target.kind !== 'inference-endpoint' || ctx.policy.mode === 'horizontal') return nothing('none');
  const views = poolViews(ctx);
  const pool = views.find((view) => view.desired > 0) ?? views[0];
  if (!pool) return nothing('none');

  const latency = fresh(ctx, ml, s.latencyMetric);
  const concurrency = fresh(ctx, ml, s.concurrencyMetric);
  const gpuMemory = fresh(ctx, ml, s.gpuMemoryMetric);
  const oom = fresh(ctx, ml, s.oomMetric);
  const utilization = fresh(ctx, ml, s.gpuUtilizationMetric);
  const breach = s.latencySloMs > 0 && latency !== undefined && latency > s.latencySloMs;

  let next: MlState = ml;
  if (utilization !== undefined) {
    const calm = latency === undefined || s.latencySloMs === 0 || latency < s.latencySloMs * s.stepDownLatencyFraction;
    const low = utilization < s.lowUtilizationPercent && calm && !breach;
    next = { ...next, lowUseSince: low ? (next.lowUseSince ?? ctx.now) : null };
  }
  const ladder = { catalog: ctx.catalog, scope: s.ladderScope, ladder: s.ladder } as const;
  const dwellLeft = next.lastTypeChangeAt === null ? 0 : next.lastTypeChangeAt + s.minDwellSeconds * 1000 - ctx.now;
  const count = Math.max(pool.desired, ctx.policy.minCapacity);
  const change = (to: InstanceTypeInfo, why: string): { step: MlStep; verdict: ScaleUpVerdict } => {
    if (dwellLeft > 0) {
      holds.push({
        rule: 'cooldown',
        reason: `move of ${pool.id} from ${pool.instanceType} to ${to.name} held: ${Math.round(dwellLeft / 1000)} s left of the ${s.minDwellSeconds} s dwell after the last size change (${why})`,
      });
      return nothing(breach ? 'horizontal' : 'none', next);
    }
    const rolling = `rolling, ${Math.min(s.maxSurge, count)} at a time: each new ${to.name} is ready before an old ${pool.instanceType} goes, so ready replicas never drop below ${count} (minimum ${ctx.policy.minCapacity})`;
    const reason = `${why}: ${pool.id} moves from ${pool.instanceType} to ${to.name} (${count} x ${usd(to.onDemandUsdPerHour)}/h); ${rolling}`;
    const action: Action = {
      type: 'change-instance-type',
      poolId: pool.id,
      fromInstanceType: pool.instanceType,
      toInstanceType: to.name,
      count,
      reason,
    };
    reasons.push(reason);
    return {
      step: { actions: [action], holds, reasons, ml: { ...next, lastTypeChangeAt: ctx.now, lowUseSince: null } },
      verdict: 'vertical',
    };
  };

  if (breach) {
    const up = nextLarger(pool.instanceType, ladder);
    const breachText = `latency ${latency} ms is above the ${s.latencySloMs} ms SLO`;
    if (!up) {
      reasons.push(`${breachText}, but ${pool.instanceType} is the top of its ladder: more replicas instead`);
      return nothing('horizontal', next);
    }
    const evidence: string[] = [];
    if (concurrency !== undefined && concurrency <= s.lowConcurrencyPerReplica)
      evidence.push(`only ${concurrency} concurrent requests per replica (at most ${s.lowConcurrencyPerReplica})`);
    if (gpuMemory !== undefined && gpuMemory >= s.gpuMemoryHighPercent)
      evidence.push(`GPU memory ${gpuMemory} % (near full at ${s.gpuMemoryHighPercent} %)`);
    if (oom !== undefined && oom > 0) evidence.push(`${oom} out-of-memory error(s)`);
    const throughput = concurrency !== undefined && concurrency > s.lowConcurrencyPerReplica;
    if (ctx.policy.mode === 'vertical')
      return change(up, `${breachText}${evidence.length ? `, ${evidence.join(', ')}` : ''} (vertical mode)`);
    if (evidence.length > 0)
      return change(up, `${breachText} and more replicas would not help: ${evidence.join(', ')}`);
    if (throughput) {
      reasons.push(
        `${breachText} with ${concurrency} concurrent requests per replica: a throughput bottleneck, more replicas instead of a bigger type`,
      );
      return nothing('horizontal', next);
    }
    const current = pool.info;
    if (current && perGiB(up) < perGiB(current)) {
      return change(
        up,
        `${breachText}; no bottleneck signal either way, and ${up.name} costs ${usd(perGiB(up) * 100)} per 100 GiB-hour of GPU memory against ${usd(perGiB(current) * 100)} for ${current.name}`,
      );
    }
    reasons.push(
      `${breachText}; no bottleneck signal either way, and ${current ? `${pool.instanceType} is cheaper per GiB of GPU memory than ${up.name}` : `${pool.instanceType} is not in the catalog`}: more replicas instead`,
    );
    return nothing('horizontal', next);
  }

  if (next.lowUseSince !== null && ctx.now - next.lowUseSince >= s.stepDownAfterSeconds * 1000) {
    const down = nextSmaller(pool.instanceType, ladder);
    if (down) {
      return change(
        down,
        `GPU utilization below ${s.lowUtilizationPercent} % for ${Math.round((ctx.now - next.lowUseSince) / 1000)} s (step down after ${s.stepDownAfterSeconds} s) with latency ${latency ?? 'unknown'} ms`,
      );
    }
  }
  return nothing('none', next);
}
