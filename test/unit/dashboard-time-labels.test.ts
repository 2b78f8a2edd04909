// trace: 6.2
// Fresh tester's finding: the dashboard's pipeline panel ("Last tick stored", "Latest interval") and the forecast
// panel ("newest forecast issued ...") showed different "latest" times without saying what each was. Each now says
// what it is (gateway/public/chart-data.js, the browser module the page imports, loaded here as it is served): the
// newest tick's wall-clock write time, the market clock (end of the newest stored interval), and the newest forecast's
// issue time with its model and first hour. A replay stores yesterday's intervals at today's wall-clock time, so the
// first two differ by design.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';

interface Labels {
  utcText(iso: string | null): string;
  pipelineTimes(p: { lastTickStoredAt: string | null; lastIntervalEnd: string | null }): { tick: string; interval: string };
  consumerRow(g: { group: string; topic: string; lag: number | null; state: string | null; members: number | null; error?: string | null; notRunning?: string | null }): { group: string; topic: string; lag: string; running: string; idle: boolean };
  errorCoverageNote(actual: { t: number[]; v: number[] }, forecast: { t: number[]; v: number[] }): string;
  curveInfoText(info: { issuedAt: string; modelVersion: string } | null, curve: { t: number[] } | null): string;
}

describe('dashboard time labels say which time each is', () => {
  let chart: Labels;
  before(async () => {
    chart = (await import(pathToFileURL(path.join(projectRoot(), 'gateway', 'public', 'chart-data.js')).href)) as Labels;
  });

  it('names the pipeline\'s wall-clock tick time (stored_at, not the simulator\'s ingested_at) and the market clock', () => {
    // A replay of 2024-07-01 written on 2026-12-02: the two times are a long way apart, and each says what it is.
    const t = chart.pipelineTimes({ lastTickStoredAt: '2026-12-02T15:04:05.123Z', lastIntervalEnd: '2024-07-02T05:00:00.000Z' });
    assert.equal(t.tick, 'Newest tick stored: 2026-12-02 15:04Z (wall clock: when the ticks sink wrote it to PostgreSQL)');
    assert.equal(t.interval, 'Market clock: 2024-07-02 05:00Z (end of the newest market interval stored)');
    // The simulator's ingested_at (event time) is not the wall clock and is not shown as one.
    const sim = chart.pipelineTimes({ lastTickStoredAt: '2026-12-02T15:37:48.000Z', lastIntervalEnd: '2024-06-23T00:00:00.000Z', lastTickIngestedAt: '2024-06-22T23:00:00.000Z' } as never);
    assert.match(sim.tick, /2026-12-02 15:37Z/);
    assert.doesNotMatch(sim.tick, /2024-06-22/);
    assert.deepEqual(chart.pipelineTimes({ lastTickStoredAt: null, lastIntervalEnd: null }), { tick: 'Newest tick stored: ? (wall clock: when the ticks sink wrote it to PostgreSQL)', interval: 'Market clock: ? (end of the newest market interval stored)' });
  });

  it('says for each consumer group whether anything consumes, so a lag of 0 with nothing running is not read as healthy', () => {
    const row = (g: Partial<Parameters<Labels['consumerRow']>[0]>) => chart.consumerRow({ group: 'sda-dispatcher', topic: 'market.forecasts', lag: 0, state: null, members: null, ...g });
    assert.deepEqual(row({ lag: 1234, state: 'Stable', members: 2 }), { group: 'sda-dispatcher', topic: 'market.forecasts', lag: '1,234', running: '2 consumers (Stable)', idle: false });
    assert.equal(row({ state: 'PreparingRebalance', members: 1 }).running, '1 consumer (PreparingRebalance)');
    assert.deepEqual(row({ lag: 0, state: 'Empty', members: 0 }), { group: 'sda-dispatcher', topic: 'market.forecasts', lag: '0', running: 'no consumer (Empty)', idle: true });
    assert.deepEqual(row({ lag: 0, state: 'Dead', members: 0 }).running, 'no consumer (never joined)');
    assert.equal(row({ lag: 0, state: 'Dead', members: 0 }).idle, true);
    // An optional group found not running (GET /api/overview's notRunning: the command that starts it): said so, its lag not counted, not red.
    assert.deepEqual(row({ group: 'sda-dispatcher-mean', lag: null, state: 'Dead', members: 0, notRunning: 'sda process dispatcher --price-basis mean' }), {
      group: 'sda-dispatcher-mean', topic: 'market.forecasts', lag: 'not counted', running: 'not running (optional: started with sda process dispatcher --price-basis mean)', idle: false,
    });
    assert.equal(row({ lag: 5, state: 'Dead', members: 0, notRunning: null }).running, 'no consumer (never joined)', 'notRunning null: as any group');
    // Kafka did not describe the group: say so, do not claim idle or running.
    assert.deepEqual(row({ lag: null, error: 'offsets of sda-dispatcher: no answer within 2000 ms' }), { group: 'sda-dispatcher', topic: 'market.forecasts', lag: 'unknown (offsets of sda-dispatcher: no answer within 2000 ms)', running: 'unknown', idle: false });
  });

  it('says why the error line ends before the actuals: an error needs both the actual and a horizon-1 forecast', () => {
    const H = 3600;
    const t0 = Date.UTC(2024, 5, 20, 0) / 1000;
    const hours = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => t0 + (a + k) * H);
    // The live demo's picture: actuals 00:00-20:00, horizon-1 forecasts stored to 15:00 only.
    const actual = { t: hours(0, 20), v: hours(0, 20).map(() => 30) };
    const upTo15 = { t: hours(0, 15), v: hours(0, 15).map(() => 31) };
    assert.equal(chart.errorCoverageNote(actual, upTo15), 'The error ends at 2024-06-20 15:00Z, the actuals go on to 2024-06-20 20:00Z (5 more hours): an hour has an error only where it has both its actual and a horizon-1 forecast, and no horizon-1 forecast after it has been stored or received yet (forecasts to 2024-06-20 15:00Z).');
    // A gap: forecasts again from 19:00.
    const gap = { t: [...hours(0, 15), ...hours(19, 21)], v: [...hours(0, 15), ...hours(19, 21)].map(() => 31) };
    assert.equal(chart.errorCoverageNote(actual, gap), '');
    const gapOnly = { t: [...hours(0, 15), t0 + 22 * H], v: [...hours(0, 15), t0 + 22 * H].map(() => 31) };
    assert.match(chart.errorCoverageNote(actual, gapOnly), /5 more hours\): .*those hours have no horizon-1 forecast \(the next one is for 2024-06-20 22:00Z\)\.$/);
    // Errors to the last actual (the live forecast for the next hour has no actual yet): nothing to explain.
    assert.equal(chart.errorCoverageNote(actual, { t: hours(0, 21), v: hours(0, 21).map(() => 31) }), '');
    assert.equal(chart.errorCoverageNote(actual, { t: [], v: [] }), '', 'no error at all: the status line says why');
    assert.equal(chart.errorCoverageNote({ t: [], v: [] }, upTo15), '');
  });

  it('names the newest forecast\'s issue time, model and first hour', () => {
    const first = Date.UTC(2024, 6, 2, 5) / 1000;
    assert.equal(
      chart.curveInfoText({ issuedAt: '2024-07-02T04:59:00.000Z', modelVersion: 'm1' }, { t: [first, first + 3600] }),
      " · newest forecast issued 2024-07-02 04:59Z (forecaster's issue time) by m1, first hour 2024-07-02 05:00Z",
    );
    assert.equal(chart.curveInfoText(null, { t: [] }), '');
  });

  it('the page uses these labels: no bare "Last tick stored" / "Latest interval"', () => {
    const root = path.join(projectRoot(), 'gateway', 'public');
    const html = fs.readFileSync(path.join(root, 'index.html'), 'utf8');
    const app = fs.readFileSync(path.join(root, 'app.js'), 'utf8');
    assert.doesNotMatch(html, /Last tick stored|Latest interval/);
    assert.match(app, /pipelineTimes\(body\.pipeline\)/);
    assert.match(app, /consumerRow\(g\)/);
    assert.match(app, /errorCoverageNote\(state\.actual, state\.forecast\)/);
    assert.match(html, /<p id="error-coverage"><\/p>/);
    assert.match(html, /<th>running<\/th>/);
    assert.match(app, /curveInfoText\(state\.curveInfo, state\.curve\)/);
  });
});
