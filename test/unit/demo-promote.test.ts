// `sda demo`'s promotion rule (cli/demo-promote.ts): a model that loses to naive last hour or ridge on its hold-out
// is not promoted over another current version (a second demo run once promoted a model at RMSE 823.7 against ridge's
// lower figure), is promoted when nothing is current (the forecaster needs a model), and one that beats both is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselinesNotBeaten, demoPromotion } from '../../cli/demo-promote.js';

const NEW = '20261202T071128498Z-tfjs-9f5a';
const OLD = '20261202T070447914Z-tfjs-5150';

describe('demoPromotion', () => {
  it('promotes a model that beats naive last hour and ridge, over a current one', () => {
    const p = demoPromotion(NEW, { rmse: 7.29, rmse_naive_last: 7.51, rmse_ridge: 13.85 }, OLD);
    assert.equal(p.promote, true);
    assert.match(p.line, /beats naive last hour and ridge on the hold-out: promoted/);
  });

  it('keeps the current model when the new one loses to ridge, and says how to serve it anyway', () => {
    const p = demoPromotion(NEW, { rmse: 823.7, rmse_naive_last: 900, rmse_ridge: 700.2 }, OLD);
    assert.equal(p.promote, false);
    assert.match(p.line, /does not beat ridge \(700\.20\): NOT promoted; current stays 20261202T070447914Z-tfjs-5150/);
    assert.match(p.line, /\.\/sda train promote 20261202T071128498Z-tfjs-9f5a/);
  });

  it('a tie or a missing baseline counts as losing; both baselines are named when both win', () => {
    assert.equal(demoPromotion(NEW, { rmse: 9, rmse_naive_last: 9, rmse_ridge: 12 }, OLD).promote, false);
    assert.equal(demoPromotion(NEW, { rmse: 9, rmse_naive_last: 12 }, OLD).promote, false);
    assert.equal(demoPromotion(NEW, { rmse: Number.NaN, rmse_naive_last: 12, rmse_ridge: 12 }, OLD).promote, false);
    assert.match(demoPromotion(NEW, { rmse: 20, rmse_naive_last: 12, rmse_ridge: 13 }, OLD).line, /does not beat naive last hour \(12\.00\) and ridge \(13\.00\)/);
  });

  it('promotes a losing model when no model is current, saying why', () => {
    const p = demoPromotion(NEW, { rmse: 823.7, rmse_naive_last: 447.6, rmse_ridge: 700 }, null);
    assert.equal(p.promote, true);
    assert.match(p.line, /no other model is current: promoted so the forecaster has one to serve/);
  });

  it('refuses an empty version', () => {
    assert.throws(() => demoPromotion('', { rmse: 1 }, null), RangeError);
  });
  it('baselinesNotBeaten names each baseline not beaten strictly, and a model without scores', () => {
    assert.deepEqual(baselinesNotBeaten({ rmse: 9.5, rmse_naive_last: 12, rmse_ridge: 9 }), { lost: ['ridge (9.00)'], rmseText: '9.50' });
    assert.deepEqual(baselinesNotBeaten({ rmse: 8, rmse_naive_last: 12, rmse_ridge: 9 }).lost, []);
    assert.deepEqual(baselinesNotBeaten(undefined), { lost: ['no finite hold-out RMSE'], rmseText: '-' });
  });
});
