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

  it('builds an ad-hoc battery with the settings given (the flags /query writes), and refuses bad ones naming the flag', () => {
    const [a] = backtestAssets({ power: '10', energy: '20', series: 'HB_WEST', roundTripEfficiency: '0.87', minSoc: '0.1', maxSoc: '0.9', initialSoc: '0.5', cyclesPerDay: '1.5', degradationCost: '4' });
    assert.deepEqual([a!.roundTripEfficiency, a!.minSoc, a!.maxSoc, a!.initialSoc, a!.dailyCycleLimit, a!.degradationCostPerMwh], [0.87, 0.1, 0.9, 0.5, 1.5, 4]);
    assert.equal(backtestAssets({ power: '10', energy: '20', cyclesPerDay: 'none' })[0]!.dailyCycleLimit, null);
    for (const [opts, flag] of [
      [{ roundTripEfficiency: '0' }, '--round-trip-efficiency'], [{ roundTripEfficiency: '1.2' }, '--round-trip-efficiency'], [{ minSoc: '1' }, '--min-soc'],
      [{ maxSoc: '0' }, '--max-soc'], [{ initialSoc: 'half' }, '--initial-soc'], [{ cyclesPerDay: '0' }, '--cycles-per-day'], [{ cyclesPerDay: '30' }, '--cycles-per-day'], [{ degradationCost: '-1' }, '--degradation-cost'],
    ] as const) {
      assert.throws(() => backtestAssets({ power: '10', energy: '20', ...opts }), (err: Error) => err instanceof OptionError && err.message.includes(flag), JSON.stringify(opts));
    }
    // How they fit together is the battery's own rule: a starting SoC outside the limits.
    assert.throws(() => backtestAssets({ power: '10', energy: '20', minSoc: '0.2', initialSoc: '0.1' }), DispatchError);
    // A configured battery's settings come from its file.
    assert.throws(() => backtestAssets({ asset: 'bess-north', minSoc: '0.2' }), OptionError);
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
