// trace: D.summarizer
// The summarizer's schedule (processors/summarizer/schedule.ts) against the real services: a run summarizes the
// lookback before the market clock (the end of the latest stored interval, here a day in 2024, far from the wall
// clock), publishes the concepts corpus on its first run, and the schedule ends when its signal aborts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPool } from '../../platform/postgres/pool.js';
import { type ScheduledRun, runSummarizerSchedule, schedulePeriod } from '../../processors/summarizer/schedule.js';
import { config, deleteTestTopics, uniqueName, withAdmin } from './harness.js';

const H = 3_600_000;
const DAY1 = Date.UTC(2024, 6, 1, 5);

describe('summarizer schedule: the lookback before the market clock, every N minutes, until stopped', () => {
  const market = `T${uniqueName('sched').slice(-8).toUpperCase()}`;
  const empty = `T${uniqueName('none').slice(-8).toUpperCase()}`;
  const topic = uniqueName('test.docs.sched');
  const pool = createPool(config, 1);

  before(async () => {
    await withAdmin((admin) =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      }),
    );
    const hours = Array.from({ length: 24 }, (_, h) => ({ t: DAY1 + h * H, v: 30 + h }));
    await pool.query(
      `INSERT INTO market_data (market, series_id, point_type, kind, interval_start, interval_end, value, unit, source, ingested_at)
       SELECT $1, 'HB_WEST', 'HUB', 'RT_PRICE', t, t + interval '1 hour', v, 'USD/MWh', 'test', now() FROM unnest($2::timestamptz[], $3::float8[]) AS u(t, v)`,
      [market, hours.map((h) => new Date(h.t)), hours.map((h) => h.v)],
    );
  });

  after(async () => {
    await pool.query('DELETE FROM market_data WHERE market = $1', [market]);
    await pool.end();
    await deleteTestTopics([topic]);
  });

  it('takes the period from the market clock, and from the wall clock only for an empty market', () => {
    assert.deepEqual(schedulePeriod(DAY1 + 24 * H, Date.UTC(2026, 0, 1), 48 * H), { from: DAY1 - 24 * H, to: DAY1 + 24 * H, clock: 'market' });
    assert.deepEqual(schedulePeriod(null, Date.UTC(2026, 0, 1), 2 * H), { from: Date.UTC(2026, 0, 1) - 2 * H, to: Date.UTC(2026, 0, 1), clock: 'wall' });
  });

  it('summarizes the stored day before the market clock with the concepts on the first run, then stops on abort', async () => {
    const stop = new AbortController();
    const runs: ScheduledRun[] = [];
    const started = await runSummarizerSchedule(config, {
      market,
      topic,
      everyMs: 3_600_000,
      lookbackMs: 24 * H,
      signal: stop.signal,
      onRun: (r) => {
        runs.push(r);
        stop.abort();
      },
    });
    assert.equal(started, 1, 'aborted after its first run, during the wait');
    const [run] = runs;
    assert.ok(run && !run.error, String(run?.error));
    assert.deepEqual({ from: run.from, to: run.to, clock: run.clock }, { from: DAY1, to: DAY1 + 24 * H, clock: 'market' });
    assert.equal(run.counts?.hourly, 24, 'the stored day, found by the market clock');
    assert.equal(run.counts?.daily, 1);
    assert.ok((run.counts?.concepts ?? 0) > 0, 'the concepts corpus on the first run');
  });

  it('runs on the wall clock for a market with no data, and a pre-aborted schedule starts nothing', async () => {
    const runs: ScheduledRun[] = [];
    const stop = new AbortController();
    await runSummarizerSchedule(config, {
      market: empty,
      topic,
      everyMs: 3_600_000,
      lookbackMs: H,
      signal: stop.signal,
      onRun: (r) => {
        runs.push(r);
        stop.abort();
      },
    });
    assert.equal(runs[0]?.clock, 'wall');
    assert.equal(runs[0]?.counts?.hourly, 0);
    assert.equal(await runSummarizerSchedule(config, { market, topic, everyMs: 1_000, lookbackMs: H, signal: AbortSignal.abort() }), 0);
  });
});
