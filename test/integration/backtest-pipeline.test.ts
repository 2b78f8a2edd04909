// trace: 8.1, D.run-scoped
// The backtest through the whole pipeline on a run-scoped topic set, against the real Kafka, registry and
// PostgreSQL: `sda simulate --run NAME` -> run.NAME.ticks -> windower -> run.NAME.features -> forecaster (a tiny
// model in a temporary registry) -> run.NAME.forecasts -> `sda backtest --run NAME` (dispatcher + dispatch sink on
// the run) -> run.NAME.dispatch and dispatch_schedules rows; a second `sda backtest` gives the same figures.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTopic } from '../../processors/dispatcher/backtest-sources.js';
import { startForecaster } from '../../processors/forecaster/processor.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';
import { startWindower } from '../../processors/windower/processor.js';
import type { DispatchSchedule, Forecast } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { type Provisioned, provision } from '../../platform/kafka/provision.js';
import { groupFor, topicSet } from '../../platform/kafka/topics.js';
import { config, sda, until, withAdmin } from './harness.js';

describe('sda backtest --run through the whole pipeline', () => {
  const run = `t13p-${randomUUID().slice(0, 8)}`;
  const topics = topicSet(run);
  const pool = createPool(config, 2);
  let p: Provisioned;
  let registry: string;
  let out: string;

  before(async () => {
    p = await provision(config, 'sda-test-backtest-pipeline');
    registry = await mkdtemp(path.join(os.tmpdir(), 'sda-bt-registry-'));
    out = await mkdtemp(path.join(os.tmpdir(), 'sda-bt-out-'));
    await writeRandomModel(registry, { version: `bt-${run}`, market: 'ERCOT', seriesIds: [], horizon: 36, units: 4, seed: 3, target: { mean: 30, std: 10 } });
  });

  after(async () => {
    await pool.query('DELETE FROM dispatch_schedules WHERE run = $1', [run]);
    await pool.end();
    const existing = new Set(await withAdmin((admin) => admin.listTopics()));
    await withAdmin((admin) => admin.deleteTopics({ topics: Object.values(topics).map((t) => t.name).filter((t) => existing.has(t)), timeout: 10_000 })).catch(() => undefined);
    await rm(registry, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  it('replays ticks, forecasts and dispatches them on run.NAME.*, stores the schedules and reports the same figures twice', async () => {
    const sim = await sda(['simulate', '--run', run, '--days', '5', '--nodes', 'HB_NORTH', '--start', '2024-07-01']);
    assert.equal(sim.code, 0, sim.stderr.slice(-2_000));
    const windower = await startWindower(config, { inputTopic: topics.ticks.name, outputTopic: topics.features.name, changelogTopic: topics.windowerChangelog.name, groupId: groupFor('sda-windower', run) }, p);
    const forecaster = await startForecaster(config, { inputTopic: topics.features.name, outputTopic: topics.forecasts.name, deadLetterTopic: topics.deadLetters.name, groupId: groupFor('sda-forecaster', run), registryDir: registry, pollMs: 500 }, p);
    let forecasts: Forecast[] = [];
    try {
      // 5 days of hourly HB_NORTH RT price windows from the second day on: at least 3 days of forecasts.
      await until(() => forecaster.counts.forecasts >= 72, 180_000, 'the run\'s forecasts');
      let last = -1;
      await until(() => {
        const n = forecaster.counts.forecasts;
        const quiet = n === last;
        last = n;
        return quiet;
      }, 60_000, 'the forecaster going quiet');
    } finally {
      await forecaster.stop();
      await windower.stop();
    }
    forecasts = (await readTopic<Forecast>(p, topics.forecasts.name, p.writers.forecasts)).filter((f) => f.seriesId === 'HB_NORTH' && f.kind === 'RT_PRICE');
    assert.ok(forecasts.length >= 72, `${forecasts.length} forecasts`);

    const args = ['backtest', '--run', run, '--from', '2024-07-03', '--to', '2024-07-06', '--simulate', '5', '--sim-start', '2024-07-01', '--asset', 'bess-north', '--allow-lookahead', '--out', out, '--json'];
    const first = await sda(args);
    assert.equal(first.code, 0, first.stderr.slice(-2_000));
    const a = JSON.parse(first.stdout) as { results: Array<{ intervals: number; endSocPrice: number; strategies: Array<{ name: string; netRevenue: number; startSocMwh: number; endSocMwh: number; endSocValue: number; valuedRevenue: number; pctOfPerfect: number | null; idleIntervals: number; noInputIntervals: number }> }> };
    // Plain dates are UTC midnight: one note says so (stderr, since --json keeps stdout for the report).
    assert.match(first.stderr, /note: --from 2024-07-03 is 2024-07-03T00:00Z \(2024-07-02 19:00 CT\), --to 2024-07-06 is 2024-07-06T00:00Z \(2024-07-05 19:00 CT\); .* --from 2024-07-03T05:00:00Z --to 2024-07-06T05:00:00Z/);
    // The end state of charge and its value per strategy: bess-north is 20 MWh, 85% round trip, $2/MWh degradation, starting at 5%.
    const res = a.results[0]!;
    assert.equal(res.intervals, 72);
    const perfectValued = res.strategies.find((s) => s.name === 'perfect')!.valuedRevenue;
    for (const s of res.strategies) {
      assert.equal(s.startSocMwh, 1, s.name);
      assert.ok(s.endSocMwh >= 1 - 1e-6 && s.endSocMwh <= 19 + 1e-6, `${s.name} end SoC ${s.endSocMwh}`);
      assert.ok(Math.abs(s.endSocValue - (s.endSocMwh - 1) * Math.sqrt(0.85) * (res.endSocPrice - 2)) < 0.02, `${s.name} end SoC value ${s.endSocValue}`);
      assert.ok(Math.abs(s.valuedRevenue - (s.netRevenue + s.endSocValue)) < 0.02, s.name);
      if (perfectValued > 0) assert.ok(Math.abs(s.pctOfPerfect! - (100 * s.valuedRevenue) / perfectValued) < 0.01, s.name);
      // Idle = neither charging nor discharging, for want of input or by plan.
      assert.ok(s.idleIntervals >= s.noInputIntervals && s.idleIntervals <= 72, `${s.name} idle ${s.idleIntervals}, no input ${s.noInputIntervals}`);
    }
    // The strategies that trade on actual prices or fixed hours trade some hours and rest in others (a 2-hour battery over three days).
    for (const name of ['perfect', 'baseline']) {
      const idle = res.strategies.find((s) => s.name === name)!.idleIntervals;
      assert.ok(idle > 0 && idle < 72, `${name} idle ${idle}`);
    }
    const schedules = await readTopic<DispatchSchedule>(p, topics.dispatch.name, p.writers.dispatch);
    assert.equal(schedules.filter((s) => s.assetId === 'bess-north').length, forecasts.length, 'one schedule per forecast issue on run.NAME.dispatch');
    const rows = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dispatch_schedules WHERE run = $1 AND asset_id = $2', [run, 'bess-north']);
    assert.equal(Number(rows.rows[0]!.n), forecasts.length);
    const by = Object.fromEntries(a.results[0]!.strategies.map((s) => [s.name, s.netRevenue]));
    for (const [name, v] of Object.entries(by)) assert.ok(v <= by.perfect! + 0.01, `${name} above perfect foresight`);
    const html = await readFile(path.join(out, 'backtest.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.ok(html.includes('actual price, whole period, 2024-07-03 00:00Z to 2024-07-06 00:00Z (3 days)'), 'the chart names the period');
    assert.doesNotMatch(html, /last 7 days/);
    assert.match(html, /time \(UTC\)/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no script, no remote resource');

    const second = await sda(args);
    assert.equal(second.code, 0, second.stderr.slice(-2_000));
    const b = JSON.parse(second.stdout) as typeof a;
    assert.deepEqual(b.results, a.results);
    assert.equal((await readTopic<DispatchSchedule>(p, topics.dispatch.name, p.writers.dispatch)).length, schedules.length, 'nothing new on a second run');
  });
});

describe('sda backtest --pipeline: the whole pipeline in one command', () => {
  const run = `t13q-${randomUUID().slice(0, 8)}`;
  let out: string;

  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'sda-btp-out-'));
  });

  after(async () => {
    await sda(['run', 'delete', run]);
    await rm(out, { recursive: true, force: true });
    await rm(path.join(config.cacheDir, 'backtests', run), { recursive: true, force: true });
  });

  it('simulates history onto run.NAME.ticks, windows it, trains before --from, forecasts, dispatches and settles', async () => {
    const args = ['backtest', '--pipeline', '--run', run, '--simulate', '20', '--sim-start', '2024-07-01', '--from', '2024-07-16', '--to', '2024-07-19', '--asset', 'bess-north', '--epochs', '3', '--out', out, '--json'];
    const r = await sda(args);
    assert.equal(r.code, 0, r.stderr.slice(-3_000));
    assert.match(r.stderr, /backtest pipeline .* ticks \(0 dead-lettered\), [\d,]+ windows, model \S+, [\d,]+ forecasts/);
    const report = JSON.parse(r.stdout) as { meta: Record<string, string>; uncheckedModels: string[]; results: Array<{ strategies: Array<{ name: string; netRevenue: number }> }> };
    // The model came from the run's own registry and was checked to have trained before --from (no --allow-lookahead).
    assert.deepEqual(report.uncheckedModels, []);
    assert.match(report.meta['actual prices']!, new RegExp(`market run\\.${run}\\.ERCOT`));
    const by = Object.fromEntries(report.results[0]!.strategies.map((s) => [s.name, s.netRevenue]));
    assert.deepEqual(Object.keys(by).sort(), ['baseline', 'forecast', 'perfect', 'persistence']);
    for (const [name, v] of Object.entries(by)) assert.ok(v <= by.perfect! + 0.01, `${name} above perfect foresight`);
    const pool = createPool(config, 1);
    try {
      const fc = await pool.query<{ n: string }>('SELECT count(*) AS n FROM forecasts WHERE market = $1', [`run.${run}.ERCOT`]);
      assert.ok(Number(fc.rows[0]!.n) > 0, 'the run\'s forecasts stored under its own market');
      const sch = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dispatch_schedules WHERE run = $1', [run]);
      assert.ok(Number(sch.rows[0]!.n) > 0, 'schedules stored');
    } finally {
      await pool.end();
    }
  });
});
