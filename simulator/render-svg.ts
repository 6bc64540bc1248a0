import type { ComparisonReport } from './comparison.ts';

/** One colour per autoscaler (Okabe-Ito, readable by colour-blind viewers). */
const COLOURS: Record<string, string> = {
  tide: '#0072B2',
  'static-peak': '#999999',
  hpa: '#E69F00',
  'aws-target-tracking': '#D55E00',
  keda: '#009E73',
  'knative-kpa': '#CC79A7',
};

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  top: number;
  height: number;
}

/**
 * An SVG chart of the comparison: top, demand (replicas needed at full slots, shaded) and each
 * autoscaler's ready replicas per minute; bottom, each autoscaler's p95 time to first token per minute on a
 * log scale, with the SLO as a dashed line. Self-contained: no scripts, no external fonts.
 */
export function renderSvg(report: ComparisonReport): string {
  const width = 960;
  const left = 60;
  const right = 215;
  const plotWidth = width - left - right;
  const capacity: Panel = { top: 58, height: 220 };
  const latency: Panel = { top: 326, height: 180 };
  const height = latency.top + latency.height + 40;
  const minutes = report.workload.neededPerMinute.length;
  const x = (minute: number) => left + (minutes <= 1 ? 0 : (minute / (minutes - 1)) * plotWidth);
  const maxReplicas = Math.max(
    1,
    ...report.workload.neededPerMinute,
    ...report.runs.flatMap((run) => run.perMinute.ready),
  );
  const yReplicas = (value: number) => capacity.top + capacity.height - (value / maxReplicas) * capacity.height;
  const maxMs = Math.max(
    report.settings.sloMs * 10,
    ...report.runs.flatMap((run) => run.perMinute.p95Ms.map((ms) => ms ?? 0)),
  );
  const minMs = 100;
  const yLatency = (ms: number) => {
    const clamped = Math.min(maxMs, Math.max(minMs, ms));
    return (
      latency.top +
      latency.height -
      ((Math.log10(clamped) - Math.log10(minMs)) / (Math.log10(maxMs) - Math.log10(minMs))) * latency.height
    );
  };
  // A minute without a value (no arrivals) breaks the line: the next point starts a new segment.
  const path = (values: ReadonlyArray<number | null>, y: (value: number) => number) =>
    values
      .map((value, minute) =>
        value === null
          ? ''
          : minute === 0 || values[minute - 1] === null
            ? // A new segment; an isolated minute gets a short stub so it still shows.
              `M${x(minute).toFixed(1)},${y(value).toFixed(1)}${values[minute + 1] === null || minute === values.length - 1 ? 'h2' : ''}`
            : `L${x(minute).toFixed(1)},${y(value).toFixed(1)}`,
      )
      .join('');
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(`tide simulate: ${report.workload.name} (${report.settings.instanceType}, ${report.settings.capacityType}, seed ${report.settings.seed})`)}</text>`,
  );
  // Demand, shaded.
  const demand = report.workload.neededPerMinute;
  const area = `${path(demand, yReplicas)}L${x(minutes - 1).toFixed(1)},${yReplicas(0).toFixed(1)}L${x(0).toFixed(1)},${yReplicas(0).toFixed(1)}Z`;
  parts.push(`<path d="${area}" fill="#dddddd" stroke="none"><title>replicas needed at full slots</title></path>`);
  for (const panel of [capacity, latency]) {
    parts.push(
      `<rect x="${left}" y="${panel.top}" width="${plotWidth}" height="${panel.height}" fill="none" stroke="#444444"/>`,
    );
  }
  const tickStep = Math.max(1, Math.ceil(maxReplicas / 5));
  for (let value = 0; value <= maxReplicas; value += tickStep) {
    parts.push(`<text x="${left - 6}" y="${yReplicas(value) + 4}" text-anchor="end">${value}</text>`);
  }
  for (const ms of [100, 1000, 10_000, 100_000, 1_000_000].filter((ms) => ms <= maxMs)) {
    parts.push(
      `<text x="${left - 6}" y="${yLatency(ms) + 4}" text-anchor="end">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`,
    );
  }
  const hours = minutes / 60;
  const step = hours > 4 ? 60 : 10;
  for (let minute = 0; minute < minutes; minute += step) {
    parts.push(
      `<text x="${x(minute)}" y="${latency.top + latency.height + 16}" text-anchor="middle">${minute} min</text>`,
    );
  }
  parts.push(
    `<text x="${left}" y="${capacity.top - 6}">ready replicas per minute (shaded: replicas the load needs)</text>`,
  );
  parts.push(
    `<text x="${left}" y="${latency.top - 6}">p95 time to first token per minute (log scale; dashed: SLO ${report.settings.sloMs} ms)</text>`,
  );
  const sloY = yLatency(report.settings.sloMs).toFixed(1);
  parts.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${sloY}" y2="${sloY}" stroke="#000000" stroke-dasharray="6 4"/>`,
  );
  // Tide last, so its lines are drawn on top of the baselines'.
  const order = [...report.runs.keys()].sort(
    (a, b) => Number(report.runs[a]!.name === 'tide') - Number(report.runs[b]!.name === 'tide'),
  );
  for (const index of order) {
    const run = report.runs[index]!;
    const colour = COLOURS[run.name] ?? '#000000';
    const widthPx = run.name === 'tide' ? 2.5 : 1.4;
    parts.push(
      `<path d="${path(run.perMinute.ready, yReplicas)}" fill="none" stroke="${colour}" stroke-width="${widthPx}"><title>${escapeXml(run.name)} ready replicas</title></path>`,
    );
    parts.push(
      `<path d="${path(run.perMinute.p95Ms, yLatency)}" fill="none" stroke="${colour}" stroke-width="${widthPx}"><title>${escapeXml(run.name)} p95 TTFT</title></path>`,
    );
    const legendY = capacity.top + 14 + index * 18;
    parts.push(
      `<line x1="${left + plotWidth + 12}" x2="${left + plotWidth + 32}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="3"/>`,
    );
    parts.push(
      `<text x="${left + plotWidth + 38}" y="${legendY}">${escapeXml(run.name)} $${run.costUsd.toFixed(2)}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
