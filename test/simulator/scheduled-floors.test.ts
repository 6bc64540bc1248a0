import { describe, expect, it } from 'vitest';
import { PlanSchema } from '../../core/schema/plan.ts';
import { floorAt, floorsFromPlans } from '../../simulator/baselines/scheduled-floors.ts';
import { findWorkload } from '../../simulator/workloads.ts';

const day = (time: string) => Date.parse(`2026-12-01T${time}Z`);

describe('scheduled floors for the baselines', () => {
  const plans = findWorkload('trading-day')!.plans!.map((plan) => PlanSchema.parse(plan));
  const floors = floorsFromPlans(plans, day('13:00:00'), day('22:00:00'));

  it('turns the trading-day plans into New York windows, pre-warm included', () => {
    expect(floors).toEqual([
      { from: day('14:20:00'), to: day('15:00:00'), min: 8 },
      { from: day('20:35:00'), to: day('21:05:00'), min: 7 },
    ]);
  });

  it.each([
    { at: '14:19:59', floor: 0 },
    { at: '14:20:00', floor: 8 },
    { at: '14:59:59', floor: 8 },
    { at: '15:00:00', floor: 0 },
    { at: '20:40:00', floor: 7 },
  ])('floor at $at UTC is $floor', ({ at, floor }) => {
    expect(floorAt(floors, day(at))).toBe(floor);
  });

  it('uses the summer offset in June (UTC−4)', () => {
    const june = floorsFromPlans(plans, Date.parse('2026-06-02T12:00:00Z'), Date.parse('2026-06-02T21:00:00Z'));
    expect(june[0]).toEqual({
      from: Date.parse('2026-06-02T13:20:00Z'),
      to: Date.parse('2026-06-02T14:00:00Z'),
      min: 8,
    });
  });
});
