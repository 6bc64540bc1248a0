import type { Clock } from '../../adapters/ports/clock.ts';

/**
 * A clock that runs `speed` times faster than the wall clock from the moment it was made (`tide serve
 * --demo --speed 60`: one real second is one simulated minute). Speed 1 is the wall clock.
 */
export class ScaledClock implements Clock {
  private readonly startedAt: number;
  constructor(
    readonly speed: number = 1,
    private readonly wall: () => number = Date.now,
  ) {
    this.startedAt = wall();
  }
  now(): number {
    return Math.floor(this.startedAt + (this.wall() - this.startedAt) * this.speed);
  }
  /** Real milliseconds for `ms` of this clock's time. */
  realMs(ms: number): number {
    return ms / this.speed;
  }
}
