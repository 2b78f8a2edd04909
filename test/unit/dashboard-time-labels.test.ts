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
  pipelineTimes(p: { lastTickIngestedAt: string | null; lastIntervalEnd: string | null }): { tick: string; interval: string };
  curveInfoText(info: { issuedAt: string; modelVersion: string } | null, curve: { t: number[] } | null): string;
}

describe('dashboard time labels say which time each is', () => {
  let chart: Labels;
  before(async () => {
    chart = (await import(pathToFileURL(path.join(projectRoot(), 'gateway', 'public', 'chart-data.js')).href)) as Labels;
  });

  it('names the pipeline\'s wall-clock tick time and the market clock', () => {
    // A replay of 2024-07-01 written on 2026-12-02: the two times are a long way apart, and each says what it is.
    const t = chart.pipelineTimes({ lastTickIngestedAt: '2026-12-02T15:04:05.123Z', lastIntervalEnd: '2024-07-02T05:00:00.000Z' });
    assert.equal(t.tick, 'Newest tick written: 2026-12-02 15:04Z (wall clock: when the ticks sink stored it)');
    assert.equal(t.interval, 'Market clock: 2024-07-02 05:00Z (end of the newest market interval stored)');
    assert.deepEqual(chart.pipelineTimes({ lastTickIngestedAt: null, lastIntervalEnd: null }), { tick: 'Newest tick written: ? (wall clock: when the ticks sink stored it)', interval: 'Market clock: ? (end of the newest market interval stored)' });
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
    assert.match(app, /curveInfoText\(state\.curveInfo, state\.curve\)/);
  });
});
