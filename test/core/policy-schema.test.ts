import { describe, expect, it } from 'vitest';
import { PolicySchema, parseDocument, formatProblem, DecisionInputSchema } from '../../core/index.ts';

function problems(document: unknown) {
  const result = parseDocument(PolicySchema, document, 'policy');
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.error.problems.map(formatProblem);
}

describe('policy documents: every error names the field and the value it got', () => {
  it.each([
    { label: 'negative min', doc: { minCapacity: -5 }, expect: /^minCapacity: .*>=0 \(got -5\)$/ },
    {
      label: 'max below min',
      doc: { minCapacity: 4, maxCapacity: 2 },
      expect: /^maxCapacity: must be at least minCapacity \(4\), was: 2$/,
    },
    {
      label: 'string for a number',
      doc: { maxCapacity: 'ten' },
      expect: /^maxCapacity: .*expected number.*\(got "ten"\)$/,
    },
    {
      label: 'zero target value',
      doc: { targetTracking: [{ metric: 'gpu', targetValue: 0 }] },
      expect: /^targetTracking\[0\]\.targetValue: .*>0 \(got 0\)$/,
    },
    {
      label: 'tolerance over 1',
      doc: { targetTracking: [{ metric: 'gpu', targetValue: 60, scaleOutTolerance: 1.5 }] },
      expect: /^targetTracking\[0\]\.scaleOutTolerance: .*\(got 1\.5\)$/,
    },
    {
      label: 'stabilization over an hour',
      doc: { behavior: { scaleDown: { stabilizationWindowSeconds: 7200 } } },
      expect: /^behavior\.scaleDown\.stabilizationWindowSeconds: .*<=3600 \(got 7200\)$/,
    },
    {
      label: 'unknown select policy',
      doc: { behavior: { scaleUp: { selectPolicy: 'Biggest' } } },
      expect: /^behavior\.scaleUp\.selectPolicy: .*\(got "Biggest"\)$/,
    },
    {
      label: 'rate period too long',
      doc: { behavior: { scaleUp: { policies: [{ type: 'Replicas', value: 4, periodSeconds: 3600 }] } } },
      expect: /^behavior\.scaleUp\.policies\[0\]\.periodSeconds: .*\(got 3600\)$/,
    },
    {
      label: 'bad cron',
      doc: { schedules: [{ name: 'open', start: '30 25 * * 1-5', durationMinutes: 60, minCapacity: 1 }] },
      expect: /^schedules\[0\]\.start: invalid cron expression .*was: "30 25 \* \* 1-5"$/,
    },
    {
      label: 'randomized cron',
      doc: { schedules: [{ name: 'open', start: 'H 9 * * *', durationMinutes: 60, minCapacity: 1 }] },
      expect: /^schedules\[0\]\.start: .*"H".*was: "H 9 \* \* \*"$/,
    },
    {
      label: 'bad time zone',
      doc: {
        schedules: [
          { name: 'open', start: '0 9 * * *', durationMinutes: 60, minCapacity: 1, timezone: 'America/Gotham' },
        ],
      },
      expect: /^schedules\[0\]\.timezone: expected an IANA time zone .*\(got "America\/Gotham"\)$/,
    },
    {
      label: 'neither end nor duration',
      doc: { schedules: [{ name: 'open', start: '0 9 * * *', minCapacity: 1 }] },
      expect: /^schedules\[0\]\.end: give exactly one of "end" or "durationMinutes"/,
    },
    {
      label: 'unknown calendar',
      doc: {
        schedules: [
          { name: 'open', start: '0 9 * * *', durationMinutes: 60, minCapacity: 1, excludeCalendars: ['lse'] },
        ],
      },
      expect: /^schedules\[0\]\.excludeCalendars\[0\]: unknown calendar.*was: "lse"$/,
    },
    {
      label: 'bad date',
      doc: { calendars: { offsites: ['2026-13-01'] } },
      expect: /^calendars\.offsites\[0\]: expected a calendar date YYYY-MM-DD \(got "2026-13-01"\)$/,
    },
    {
      label: 'plan floor above max',
      doc: { maxCapacity: 4, schedules: [{ name: 'open', start: '0 9 * * *', durationMinutes: 60, minCapacity: 9 }] },
      expect: /^schedules\[0\]\.minCapacity: must not exceed maxCapacity \(4\), was: 9$/,
    },
    {
      label: 'fallback capacity missing',
      doc: { missingMetrics: { action: 'set-capacity' } },
      expect: /^missingMetrics\.capacity: is required/,
    },
    {
      label: 'step without steps',
      doc: { stepScaling: [{ alarmName: 'a', steps: [] }] },
      expect: /^stepScaling\[0\]\.steps: .*\(got \[\]\)$/,
    },
    {
      label: 'misspelt top-level field',
      doc: { stepScalng: [{ alarmName: 'a', steps: [{ adjustment: 1 }] }] },
      expect: /^stepScalng: unknown field of the policy \(got \[\{"alarmName":"a".*\)$/,
    },
    {
      label: 'misspelt field inside a list',
      doc: { targetTracking: [{ metric: 'gpu', targetValue: 60, windowSecond: 30 }] },
      expect: /^targetTracking\[0\]\.windowSecond: unknown field of targetTracking\[0\] \(got 30\)$/,
    },
    {
      label: 'misspelt nested field',
      doc: { behavior: { scaleDown: { stabilisationWindowSeconds: 60 } } },
      expect: /^behavior\.scaleDown\.stabilisationWindowSeconds: unknown field of behavior\.scaleDown \(got 60\)$/,
    },
    {
      label: 'misspelt ML field',
      doc: { training: { checkpointSecs: 30 } },
      expect: /^training\.checkpointSecs: unknown field of training \(got 30\)$/,
    },
    {
      label: 'unknown field of a plan',
      doc: { schedules: [{ name: 'open', start: '0 9 * * *', durationMinutes: 60, minCapacity: 1, timeZone: 'UTC' }] },
      expect: /^schedules\[0\]\.timeZone: unknown field of schedules\[0\] \(got "UTC"\)$/,
    },
    {
      label: 'unknown field of a trigger',
      doc: { triggers: [{ source: 'alertmanager', alertName: 'x' }] },
      expect: /^triggers\[0\]\.alertName: unknown field of triggers\[0\] \(got "x"\)$/,
    },
  ])('$label', ({ doc, expect: pattern }) => {
    const found = problems(doc);
    expect(
      found.some((line) => pattern.test(line)),
      found.join('\n'),
    ).toBe(true);
  });

  it('reports every error at once, not just the first', () => {
    expect(problems({ minCapacity: -1, maxCapacity: 'x', burst: { thresholdRatio: 0.5 } })).toHaveLength(3);
  });

  it('an empty document is a valid policy with the documented defaults', () => {
    const policy = PolicySchema.parse({});
    expect(policy).toMatchObject({
      minCapacity: 1,
      maxCapacity: 10,
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Percent', value: 100, periodSeconds: 15 },
            { type: 'Replicas', value: 4, periodSeconds: 15 },
          ],
        },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
      burst: { enabled: true, windowSeconds: 6, thresholdRatio: 2, stableWindowSeconds: 60 },
      missingMetrics: { staleAfterSeconds: 300, failureThreshold: 3, action: 'hold', allowScaleIn: false },
    });
  });

  it('decision inputs accept ISO timestamps and reject ones without an offset', () => {
    const base = {
      now: '2026-03-09T13:30:00Z',
      signal: { kind: 'schedule-tick', observedAt: '2026-03-09T13:30:00Z', source: 'x' },
      target: {
        id: 't',
        kind: 'inference-endpoint',
        provider: 'aws',
        pools: [{ id: 'p', instanceType: 'ml.g5.xlarge' }],
      },
    };
    const ok = DecisionInputSchema.safeParse(base);
    expect(ok.success && ok.data.now).toBe(Date.parse('2026-03-09T13:30:00Z'));
    const bad = parseDocument(DecisionInputSchema, { ...base, now: '2026-03-09 13:30' }, 'decision input');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/now: .*was: "2026-03-09 13:30"/);
  });

  it.each([
    {
      label: 'a signal',
      patch: { signal: { kind: 'schedule-tick', observedAt: 0, source: 'x', scheduel: 'open' } },
      expect: /^signal\.scheduel: unknown field of signal \(got "open"\)$/,
    },
    {
      label: 'a target',
      patch: {
        target: {
          id: 't',
          kind: 'training-pool',
          provider: 'aws',
          pools: [{ id: 'p', instanceType: 'p5' }],
          zone: 'a',
        },
      },
      expect: /^target\.zone: unknown field of target \(got "a"\)$/,
    },
    {
      label: 'a target pool',
      patch: {
        target: {
          id: 't',
          kind: 'training-pool',
          provider: 'aws',
          pools: [{ id: 'p', instanceType: 'p5', spot: true }],
        },
      },
      expect: /^target\.pools\[0\]\.spot: unknown field of target\.pools\[0\] \(got true\)$/,
    },
    {
      label: "a target's cloud resource",
      patch: {
        target: {
          id: 't',
          kind: 'inference-endpoint',
          provider: 'aws',
          pools: [{ id: 'p', instanceType: 'ml.g5.xlarge' }],
          resource: { provider: 'aws', sagemakerEndpoint: { endpointName: 'llm', variant: 'A' } },
        },
      },
      expect:
        /^target\.resource\.sagemakerEndpoint\.variant: unknown field of target\.resource\.sagemakerEndpoint \(got "A"\)$/,
    },
    {
      label: 'the decision input',
      patch: { polcy: {} },
      expect: /^polcy: unknown field of the decision input \(got \{\}\)$/,
    },
  ])('an unknown field in $label is an error naming the field and where it is', ({ patch, expect: pattern }) => {
    const document = {
      now: 0,
      signal: { kind: 'schedule-tick', observedAt: 0, source: 'x' },
      target: { id: 't', kind: 'training-pool', provider: 'aws', pools: [{ id: 'p', instanceType: 'p5' }] },
      ...patch,
    };
    const result = parseDocument(DecisionInputSchema, document, 'decision input');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.problems.map(formatProblem)).toEqual([expect.stringMatching(pattern)]);
  });
});
