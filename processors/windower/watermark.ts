// Event-time watermark of one partition. Event time of a tick = its intervalStart. The watermark is the largest
// event time seen minus the allowed lateness; a step slot [a, a + step) is final once a + step <= watermark.
// It only moves forward.

export class Watermark {
  /** Largest event time seen (or advanced to); null before the first. */
  maxEventTime: number | null = null;

  constructor(
    readonly stepMs: number,
    readonly allowedLatenessMs: number,
  ) {}

  /** Raise the max event time; returns true when it moved. */
  observe(eventTime: number): boolean {
    if (this.maxEventTime !== null && eventTime <= this.maxEventTime) return false;
    this.maxEventTime = eventTime;
    return true;
  }

  /** Max event time minus the allowed lateness, null before the first event. */
  value(): number | null {
    return this.maxEventTime === null ? null : this.maxEventTime - this.allowedLatenessMs;
  }

  /** The last slot index whose end is at or before the watermark, null before the first event. */
  lastFinalSlot(): number | null {
    const w = this.value();
    return w === null ? null : Math.floor(w / this.stepMs) - 1;
  }
}

/**
 * For an idle partition: the event time to advance it to by wall clock, `expectedDelayMs` behind now (how far
 * the source's event time normally trails the wall clock; e.g. ERCOT hourly data published up to an hour after
 * the hour: 2 h). Use with PartitionWindower.advanceTo when the partition saw no tick for a while; ticks that
 * arrive later and older than the advanced watermark are then rejected as late.
 */
export function idleEventTime(wallNowMs: number, expectedDelayMs: number): number {
  return wallNowMs - expectedDelayMs;
}
