import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAuditEntry } from '../../../adapters/state/codec.ts';
import type { RecordedDecision, SignalSummary } from '../../../adapters/ports/state-store.ts';

const signal: SignalSummary = {
  kind: 'metric',
  source: 'aws-cloudwatch',
  observedAt: 1_700_000_000_000,
  detail: 'cpu = 0.7',
};

describe('the audit entry', () => {
  it('is the text JSON.stringify({ ...decision, signal }) gives, from the JSON the commit already has', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (fields) => {
        const decision = fields as unknown as RecordedDecision;
        const expected = JSON.stringify({ ...decision, signal });
        expect(encodeAuditEntry(decision, signal)).toBe(expected);
        expect(encodeAuditEntry(decision, signal, JSON.stringify(decision))).toBe(expected);
      }),
      { numRuns: 1_000 },
    );
  });
});
