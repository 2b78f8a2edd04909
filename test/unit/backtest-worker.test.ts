// runBacktestJobInWorker: the same result as runBacktestJob on the caller's thread, the caller's event loop left free
// while the synchronous solves run (the demo's in-process consumers must keep heartbeating), errors carried back with
// their codes. Simulator actuals and strategies without forecasts: no PostgreSQL, no Kafka.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBattery } from '../../dispatch/asset.js';
import { DispatchError } from '../../dispatch/errors.js';
import { loadConfig } from '../../platform/config.js';
import { type BacktestJobResult, runBacktestJob } from '../../processors/dispatcher/backtest-job.js';
import { runBacktestJobInWorker } from '../../processors/dispatcher/backtest-worker.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIM = { start: Date.UTC(2024, 4, 1, 5), days: 16, seed: 11 };
const asset = makeBattery({ id: 'bess-test', powerMw: 10, energyMwh: 20, settlementPoint: 'HB_NORTH' });
const options = {
  assets: [asset],
  fromMs: SIM.start + 6 * DAY,
  toMs: SIM.start + SIM.days * DAY,
  historyDays: 6,
  strategies: ['persistence', 'baseline', 'perfect'] as const,
  actuals: { kind: 'simulator' as const, ...SIM },
};

describe('runBacktestJobInWorker', () => {
  it('returns what runBacktestJob returns on the calling thread, and the calling loop keeps running meanwhile', async () => {
    const config = loadConfig();
    // The longest gap between 5 ms interval ticks while the job runs. On the calling thread the solves hold the loop
    // for most of the job's wall time; on the worker the loop stays free.
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    let inWorker: BacktestJobResult;
    try {
      inWorker = await runBacktestJobInWorker(config, { ...options, strategies: [...options.strategies] });
    } finally {
      clearInterval(timer);
    }
    // The gap up to the job's end (a loop held to the end never ran the interval again).
    longestGap = Math.max(longestGap, performance.now() - last);
    const wallMs = performance.now() - t0;
    const here = await runBacktestJob(config, { ...options, strategies: [...options.strategies] });
    assert.equal(inWorker.results.length, 1);
    // Same figures (wall times and solve times differ between runs, so compare without them).
    const strip = (r: BacktestJobResult) => r.results.map((b) => ({ ...b, strategies: b.strategies.map(({ solveMs: _, ...s }) => s) }));
    assert.deepEqual(strip(inWorker), strip(here));
    assert.deepEqual({ ...inWorker.meta, 'wall time': '' }, { ...here.meta, 'wall time': '' });
    assert.ok(inWorker.results[0]!.strategies.find((s) => s.name === 'persistence')!.solves >= 9, 'a daily re-solve per day of the period');
    assert.ok(longestGap < wallMs / 2, `the calling loop was held for ${longestGap.toFixed(0)} ms of the job's ${wallMs.toFixed(0)} ms`);
  });

  it("rethrows the job's DispatchError with its code and message", async () => {
    const config = loadConfig();
    // A period before the simulated prices begin.
    const bad = { ...options, strategies: [...options.strategies], fromMs: SIM.start - 30 * DAY, toMs: SIM.start - 20 * DAY };
    const here = await runBacktestJob(config, bad).then(
      () => assert.fail('expected BACKTEST_INVALID'),
      (e: unknown) => e as DispatchError,
    );
    await assert.rejects(runBacktestJobInWorker(config, bad), (e: unknown) => {
      assert.ok(e instanceof DispatchError);
      assert.equal(e.code, 'BACKTEST_INVALID');
      assert.equal(e.message, here.message);
      return true;
    });
  });
});
