import type { Clock } from "../../lib/beacon/index.ts";

/** A clock tests move by hand (monotonic ms from 1000; unix ms a fixed offset from it). */
export class FakeClock implements Clock {
  now = 1000;
  nowMs(): number {
    return this.now;
  }
  unixNowMs(): number {
    return 1_700_000_000_000 + this.now;
  }
  advance(ms: number): void {
    this.now += ms;
  }
}
