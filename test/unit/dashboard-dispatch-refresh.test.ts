// trace: 6.2
// Fresh tester's MEDIUM finding: the dashboard's dispatch panel never planned again during the live demo (after 12
// simulated hours it still showed "tomorrow" = 2024-06-21 from a forecast issued 04:00Z while the market clock read
// 06-21 19:00Z). gateway/public/dispatch-refresh.js (the browser module the panel imports, loaded here as served)
// decides on each forecast of the live feed whether the shown plan is out of date; dispatch-panel.js must use it on
// the feed's forecasts (app.js passes them on as 'sda:forecast').
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';

interface Shown {
  market: string;
  settlementPoint: string;
  targetStart: number;
  issuedAt: number;
}
interface Refresh {
  centralDate(ms: number): string;
  shownPlan(body: unknown): Shown | null;
  dispatchRefreshReason(shown: Shown | null, f: unknown): 'newer forecast' | 'market day' | null;
}

const H = 3_600_000;
// A plan as the tester saw: GET /dispatch?asset=bess-north on a forecast issued 2024-06-20T04:00Z (first interval 04:00Z
// = 23:00 CDT on 06-19, so "tomorrow" = 06-20); the body as the gateway returns it, trimmed.
const ISSUED = Date.UTC(2024, 5, 20, 4);
const body = { day: '2024-06-20', settlementPoint: 'HB_NORTH', asset: { id: 'bess-north', market: 'ERCOT' }, forecast: { modelVersion: 'v1', issuedAt: new Date(ISSUED).toISOString(), targetStart: new Date(ISSUED).toISOString() } };
const forecast = (over: Record<string, unknown>) => ({ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', issuedAt: ISSUED, targetStart: ISSUED, ...over });

describe('the dispatch panel plans again on the live feed', () => {
  let r: Refresh;
  before(async () => {
    r = (await import(pathToFileURL(path.join(projectRoot(), 'gateway', 'public', 'dispatch-refresh.js')).href)) as Refresh;
  });

  it('reads what is shown from the GET /dispatch body', () => {
    assert.deepEqual(r.shownPlan(body), { market: 'ERCOT', settlementPoint: 'HB_NORTH', targetStart: ISSUED, issuedAt: ISSUED });
    assert.equal(r.shownPlan({ error: 'no_forecast' }), null);
    assert.equal(r.centralDate(ISSUED), '2024-06-19');
  });

  it('a newer forecast of the plan\'s price, or a later market day, makes the plan out of date; others do not', () => {
    const shown = r.shownPlan(body)!;
    // The next hour's forecast of HB_NORTH's RT price.
    assert.equal(r.dispatchRefreshReason(shown, forecast({ issuedAt: ISSUED + H, targetStart: ISSUED + H })), 'newer forecast');
    // The same first interval issued again later.
    assert.equal(r.dispatchRefreshReason(shown, forecast({ issuedAt: ISSUED + 60_000 })), 'newer forecast');
    // The same forecast again (a reconnect), an older one: nothing.
    assert.equal(r.dispatchRefreshReason(shown, forecast({})), null);
    assert.equal(r.dispatchRefreshReason(shown, forecast({ issuedAt: ISSUED - H, targetStart: ISSUED - H })), null);
    // Another series' forecast on the same Central day (23:30 CDT): nothing; on the next Central day (19:00Z = 14:00 CDT on 06-20): the day moved on.
    assert.equal(r.dispatchRefreshReason(shown, forecast({ seriesId: 'HB_WEST', issuedAt: ISSUED + H / 2, targetStart: ISSUED + H / 2 })), null);
    assert.equal(r.dispatchRefreshReason(shown, forecast({ seriesId: 'LOAD', kind: 'LOAD', issuedAt: ISSUED + 15 * H, targetStart: ISSUED + 15 * H })), 'market day');
    // Another market's forecasts never do; malformed events are ignored.
    assert.equal(r.dispatchRefreshReason(shown, forecast({ market: 'GB', issuedAt: ISSUED + 30 * H, targetStart: ISSUED + 30 * H })), null);
    assert.equal(r.dispatchRefreshReason(shown, { market: 'ERCOT' }), null);
    // Nothing shown yet: any forecast may make a plan possible.
    assert.equal(r.dispatchRefreshReason(null, forecast({})), 'newer forecast');
  });

  it('the page wires it: app.js passes each feed forecast on, the panel plans again on it', () => {
    const pub = path.join(projectRoot(), 'gateway', 'public');
    const app = fs.readFileSync(path.join(pub, 'app.js'), 'utf8');
    const panel = fs.readFileSync(path.join(pub, 'dispatch-panel.js'), 'utf8');
    assert.match(app, /addEventListener\('forecast',[\s\S]{0,200}window\.dispatchEvent\(new CustomEvent\('sda:forecast', \{ detail: f \}\)\)/);
    assert.match(panel, /addEventListener\('sda:forecast', \(ev\) => void onForecast\(ev\.detail\)\)/);
    assert.match(panel, /dispatchRefreshReason\(shown, f\)/);
  });
});
