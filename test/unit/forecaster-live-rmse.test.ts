// trace: 7.2, D.forecaster
// Live RMSE of the forecaster (processors/forecaster/live-rmse.ts): pure, no services.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveRmse } from '../../processors/forecaster/live-rmse.js';

const H = 3_600_000;
const s = { market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE' };
const windowEnding = (end: number, last: number | null) => ({ ...s, stepMs: H, windowEnd: end, values: [...Array<number | null>(23).fill(1), last] });

describe('forecaster live RMSE', () => {
  it('scores each horizon-1 prediction against the window whose last point covers it, per model version', () => {
    const r = new LiveRmse(3);
    r.recordForecast({ ...s, modelVersion: 'v1', targetStart: 10 * H, values: [5, 0] });
    assert.equal(r.observeActual(windowEnding(10 * H, 99)), undefined, 'the window ending at the target start does not cover it');
    assert.equal(r.observeActual(windowEnding(11 * H, 2)), 3, 'error = predicted - actual');
    r.recordForecast({ ...s, modelVersion: 'v1', targetStart: 11 * H, values: [1] });
    assert.equal(r.observeActual(windowEnding(12 * H, null)), undefined, 'a missing actual scores nothing');
    r.recordForecast({ ...s, modelVersion: 'v2', targetStart: 12 * H, values: [4] });
    r.observeActual(windowEnding(13 * H, 0));
    const snap = r.snapshot().sort((a, b) => a.modelVersion.localeCompare(b.modelVersion));
    assert.deepEqual(snap.map((m) => [m.modelVersion, m.rmse, m.n]), [['v1', 3, 1], ['v2', 4, 1]]);
  });

  it('keeps the last N errors', () => {
    const r = new LiveRmse(2);
    for (const [i, e] of [100, 3, 4].entries()) {
      r.recordForecast({ ...s, modelVersion: 'v', targetStart: i * H, values: [e] });
      r.observeActual(windowEnding((i + 1) * H, 0));
    }
    const [m] = r.snapshot();
    assert.equal(m!.n, 2);
    assert.equal(m!.total, 3);
    assert.ok(Math.abs(m!.rmse - Math.sqrt((9 + 16) / 2)) < 1e-12);
  });
});
