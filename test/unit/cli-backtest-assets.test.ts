// trace: 8.1
// `sda backtest`'s battery selection: configured assets moved to other settlement points get ids the asset rule
// accepts, and every listed series runs (configured and ad-hoc batteries alike).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backtestAssets, plainDateHint } from '../../cli/backtest.js';
import { OptionError } from '../../cli/options.js';
import { loadAssets } from '../../dispatch/assets-config.js';
import { DispatchError } from '../../dispatch/errors.js';

describe('sda backtest: the batteries of --asset/--power with --series', () => {
  it('moves the configured first asset to another point with a valid id', () => {
    const assets = backtestAssets({ series: 'HB_WEST' });
    assert.deepEqual(assets.map((a) => [a.id, a.settlementPoint]), [['bess-north.HB_WEST', 'HB_WEST']]);
  });

  it('keeps an asset\'s own id at its own point, and runs it at every listed point', () => {
    assert.deepEqual(backtestAssets({ asset: 'bess-north', series: 'HB_NORTH' }).map((a) => a.id), ['bess-north']);
    const assets = backtestAssets({ asset: 'bess-north,bess-west', series: 'HB_NORTH,HB_WEST' });
    assert.deepEqual(assets.map((a) => [a.id, a.settlementPoint]), [
      ['bess-north.HB_NORTH', 'HB_NORTH'], ['bess-north.HB_WEST', 'HB_WEST'],
      ['bess-west.HB_NORTH', 'HB_NORTH'], ['bess-west.HB_WEST', 'HB_WEST'],
    ]);
  });

  it('runs an ad-hoc battery at every listed point, not only the first', () => {
    const assets = backtestAssets({ power: '10', energy: '20', series: 'HB_WEST,HB_NORTH' });
    assert.deepEqual(assets.map((a) => [a.id, a.settlementPoint, a.powerMw, a.energyMwh]), [
      ['adhoc-10mw-20mwh.HB_WEST', 'HB_WEST', 10, 20],
      ['adhoc-10mw-20mwh.HB_NORTH', 'HB_NORTH', 10, 20],
    ]);
    assert.deepEqual(backtestAssets({ power: '10', energy: '20' }).map((a) => [a.id, a.settlementPoint]), [['adhoc-10mw-20mwh', 'HB_NORTH']]);
  });

  it('reads asset ids case-insensitively, as the gateway\'s asset= does, and names the configured ids for an unknown one', () => {
    assert.deepEqual(backtestAssets({ asset: 'BESS-NORTH,Bess-West' }).map((a) => [a.id, a.settlementPoint]), [['bess-north', 'HB_NORTH'], ['bess-west', 'HB_WEST']]);
    assert.throws(() => backtestAssets({ asset: 'bess-south' }), (err: Error) => {
      assert.ok(err instanceof DispatchError, String(err));
      assert.equal(err.code, 'ASSET_INVALID');
      assert.ok(err.message.includes(`no asset "bess-south"; configured: ${loadAssets().map((a) => a.id).join(', ')}`), err.message);
      return true;
    });
  });

  it('refuses --power without --energy', () => {
    assert.throws(() => backtestAssets({ power: '10' }), OptionError);
  });
});

describe('sda backtest: the note on plain dates', () => {
  it('says a plain date is UTC midnight, names the Central clock time and the Central midnight in UTC', () => {
    // June: CDT (UTC-5), so UTC midnight is 19:00 Central the day before, and Central midnight is 05:00Z.
    assert.equal(plainDateHint('2024-06-21', '2024-06-24'),
      'note: --from 2024-06-21 is 2024-06-21T00:00Z (2024-06-20 19:00 CT), --to 2024-06-24 is 2024-06-24T00:00Z (2024-06-23 19:00 CT); the ERCOT trading day is US Central time: for whole Central days give explicit times, e.g. --from 2024-06-21T05:00:00Z --to 2024-06-24T05:00:00Z');
    // January: CST (UTC-6); only the plain bound is named.
    assert.match(plainDateHint('2024-01-10', '2024-01-12T06:00:00Z')!, /^note: --from 2024-01-10 is 2024-01-10T00:00Z \(2024-01-09 18:00 CT\); .* e\.g\. --from 2024-01-10T06:00:00Z$/);
    assert.equal(plainDateHint('2024-06-21T05:00:00Z', '2024-06-24T05:00:00Z'), null);
    assert.equal(plainDateHint('2024-06-21T00:00', '2024-06-24T00:00:00Z'), null);
  });
});
