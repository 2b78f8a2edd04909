// trace: D.gateway
// GET /forecast parameter rules (its route schema in gateway/forecast-params.ts, checked by gateway/validate.ts): pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AT_MAX, AT_MIN, parseForecastQuery } from '../../gateway/forecast-params.js';
import { notCoveredDetail } from '../../gateway/forecast-store.js';
import { ValidationError, isoInstantProblem, parseIsoInstant } from '../../gateway/validate.js';

describe('gateway /forecast parameters', () => {
  it('reads ISO-8601 instants with Z, offsets, fractions and bare dates', () => {
    assert.equal(parseIsoInstant('2024-07-01T15:00:00Z'), Date.UTC(2024, 6, 1, 15));
    assert.equal(parseIsoInstant('2024-07-01T10:00:00-05:00'), Date.UTC(2024, 6, 1, 15));
    assert.equal(parseIsoInstant('2024-07-01T20:30+0530'), Date.UTC(2024, 6, 1, 15));
    assert.equal(parseIsoInstant('2024-07-01T15:00:00 00:00'), Date.UTC(2024, 6, 1, 15), 'an unencoded + arrives as a space');
    assert.equal(parseIsoInstant('2024-07-01T15:00:00.250Z'), Date.UTC(2024, 6, 1, 15, 0, 0, 250));
    assert.equal(parseIsoInstant('2024-07-01'), Date.UTC(2024, 6, 1));
    // Years 0-99 are those years (Date.UTC alone would read them as 1900-1999).
    assert.equal(parseIsoInstant('0001-01-01T00:00:00Z'), new Date('0001-01-01T00:00:00Z').getTime());
    assert.equal(parseIsoInstant('0099-12-31T23:00:00-01:00'), new Date('0100-01-01T00:00:00Z').getTime());
    for (const bad of ['2024-07-01T15:00:00', '2024-02-30T00:00:00Z', '2024-07-01T24:00:00Z', '2024-7-1', 'now', '', '2024-07-01T15:00:00+25:00', '1719846000000']) {
      assert.ok(Number.isNaN(parseIsoInstant(bad)), bad);
    }
  });

  it('applies defaults and bounds every parameter', () => {
    assert.deepEqual(parseForecastQuery({ series: 'HB_NORTH' }), { series: 'HB_NORTH', market: 'ERCOT', kind: 'RT_PRICE', at: null });
    assert.deepEqual(parseForecastQuery({ series: 'LZ_HOUSTON', kind: 'LOAD', market: 'ERCOT', at: '2024-07-01T00:00:00Z' }), { series: 'LZ_HOUSTON', market: 'ERCOT', kind: 'LOAD', at: Date.UTC(2024, 6, 1) });
    assert.equal(parseForecastQuery({ series: 'X', at: new Date(AT_MIN).toISOString() }).at, AT_MIN);
    // Series, market and kind are case-insensitive: read as the stored upper case.
    assert.deepEqual(parseForecastQuery({ series: 'hb_north', market: 'ercot', kind: 'rt_price' }), { series: 'HB_NORTH', market: 'ERCOT', kind: 'RT_PRICE', at: null });
    assert.deepEqual(parseForecastQuery({ series: 'Lz_Houston', kind: 'Load' }), { series: 'LZ_HOUSTON', market: 'ERCOT', kind: 'LOAD', at: null });
    // Each bad query beside the parameter the 400 must name.
    const bad: Array<[Record<string, unknown>, string]> = [
      [{}, 'series'],
      [{ series: '' }, 'series'],
      [{ series: "HB_NORTH';DROP" }, 'series'],
      [{ series: 'A'.repeat(65) }, 'series'],
      [{ series: ['HB_NORTH', 'HB_WEST'] }, 'series'],
      [{ series: 'HB_NORTH', at: new Date(AT_MAX).toISOString() }, 'at'],
      [{ series: 'HB_NORTH', at: new Date(AT_MIN - 1).toISOString() }, 'at'],
      [{ series: 'HB_NORTH', at: `2024-07-01T00:00:00.${'0'.repeat(40)}Z` }, 'at'],
      [{ series: 'HB_NORTH', at: 'yesterday' }, 'at'],
      [{ series: 'HB_NORTH', kind: 'rt-price' }, 'kind'],
      [{ series: 'hb_nörth' }, 'series'],
      [{ series: 'HB_NORTH', market: 'ERCOT;' }, 'market'],
      // Given empty is not the default ERCOT: a 400 saying to leave it out.
      [{ series: 'HB_NORTH', market: '' }, 'market'],
      [{ series: 'HB_NORTH', at: '' }, 'at'],
      [{ series: 'HB_NORTH', kind: '' }, 'kind'],
      [{ series: 'HB_NORTH', extra: '1' }, 'extra'],
    ];
    // A well-formed time outside 2000-2100 is out of range, whichever side and century; a malformed one is not ISO-8601.
    for (const at of ['0001-01-01T00:00:00Z', '0050-06-15', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '9999-12-31T00:00:00Z']) {
      assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at }), /^ValidationError: at "[^"]+" is out of range \(2000-01-01T00:00:00\.000Z to 2100-01-01T00:00:00\.000Z\)$/, at);
    }
    // A well-formed time that does not exist says what does not exist, not "not ISO-8601" (the tester's 2024-02-30).
    const impossible: Array<[string, string]> = [
      ['2024-02-30T00:00:00Z', '2024-02-30 does not exist: February 2024 has 29 days'],
      ['2023-02-29', '2023-02-29 does not exist: February 2023 has 28 days'],
      ['2100-02-29T00:00:00Z', '2100-02-29 does not exist: February 2100 has 28 days'],
      ['0001-02-30T00:00:00Z', '0001-02-30 does not exist: February 0001 has 28 days'],
      ['2024-04-31T00:00:00Z', '2024-04-31 does not exist: April 2024 has 30 days'],
      ['2024-13-01', '2024-13-01 does not exist: there is no month 13 (01-12)'],
      ['2024-07-00', '2024-07-00 does not exist: July 2024 has 31 days'],
      ['2024-07-01T24:00:00Z', 'hour 24 does not exist (00-23; midnight ending a day is 00:00 of the next)'],
      ['2024-07-01T12:60Z', 'minute 60 does not exist (00-59)'],
      ['2024-07-01T12:00:60Z', 'second 60 does not exist (00-59; a leap second cannot be given)'],
      ['2024-07-01T12:00:00+25:00', 'the offset +25:00 does not exist (hh 00-23, mm 00-59)'],
      ['2024-07-01T12:00:00 25:00', 'the offset +25:00 does not exist (hh 00-23, mm 00-59)'],
    ];
    for (const [at, problem] of impossible) {
      assert.equal(isoInstantProblem(at), problem, at);
      assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at }), (err: unknown) => err instanceof ValidationError && err.param === 'at' && err.detail === `at ${JSON.stringify(at)} is not a valid time: ${problem}`, at);
    }
    for (const ok of ['2024-02-29T00:00:00Z', '2000-02-29', '2024-07-01T23:59:59Z', 'yesterday', '2024-07-01T12:00:00']) assert.equal(isoInstantProblem(ok), null, ok);
    // Malformed stays "not ISO-8601".
    assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at: '2024-7-1' }), /^ValidationError: at "2024-7-1" is not an ISO-8601 time/);
    // Given empty is a 400 naming `at`, not "the latest forecast" (the tester's `at=`), and likewise every parameter.
    assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at: '' }), (err: unknown) => err instanceof ValidationError && err.param === 'at' && err.detail === 'at is given empty; give one (e.g. at=2024-07-01T15:00:00Z), or leave at out');
    assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', kind: '' }), (err: unknown) => err instanceof ValidationError && err.param === 'kind' && err.detail === 'kind is given empty; give one, or leave kind out for RT_PRICE');
    assert.throws(() => parseForecastQuery({ series: '' }), (err: unknown) => err instanceof ValidationError && err.param === 'series' && err.detail === 'series is given empty; series is required, e.g. series=HB_NORTH');
    assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', market: '' }), /market is given empty; give one \(e\.g\. market=ERCOT\), or leave market out for ERCOT/);
    for (const [q, param] of bad) {
      assert.throws(() => parseForecastQuery(q), (err: unknown) => {
        assert.ok(err instanceof ValidationError, `${JSON.stringify(q)}: ${String(err)}`);
        assert.equal(err.param, param, JSON.stringify(q));
        assert.match(err.detail, new RegExp(`\\b${param}\\b`), 'the message names the parameter');
        return true;
      });
    }
  });

  it('says where an uncovered time lies and what the stored forecasts cover (the 404 of a time without a forecast)', () => {
    const H = 3_600_000;
    const c = { firstIssuedAt: Date.UTC(2024, 6, 1, 0, 1), lastIssuedAt: Date.UTC(2024, 6, 3, 0, 1), firstTarget: Date.UTC(2024, 6, 1), lastTarget: Date.UTC(2024, 6, 4, 12) };
    const span = 'the stored forecasts cover 2024-07-01T00:00:00.000Z to 2024-07-04T12:00:00.000Z (issued 2024-07-01T00:01:00.000Z to 2024-07-03T00:01:00.000Z)';
    assert.equal(notCoveredDetail('HB_NORTH', 'ERCOT', 'RT_PRICE', Date.UTC(2099, 0, 1), c), `no forecast of HB_NORTH (ERCOT, RT_PRICE) covers 2099-01-01T00:00:00.000Z: it is after the last forecast interval; ${span}`);
    assert.equal(notCoveredDetail('HB_NORTH', 'ERCOT', 'RT_PRICE', c.lastTarget, c), `no forecast of HB_NORTH (ERCOT, RT_PRICE) covers 2024-07-04T12:00:00.000Z: it is after the last forecast interval; ${span}`, 'the end is exclusive');
    assert.equal(notCoveredDetail('HB_NORTH', 'ERCOT', 'RT_PRICE', c.firstTarget - H, c), `no forecast of HB_NORTH (ERCOT, RT_PRICE) covers 2024-06-30T23:00:00.000Z: it is before the first forecast interval; ${span}`);
    assert.equal(notCoveredDetail('HB_NORTH', 'ERCOT', 'RT_PRICE', c.firstTarget + 30 * H, c), `no forecast of HB_NORTH (ERCOT, RT_PRICE) covers 2024-07-02T06:00:00.000Z: it falls between stored forecasts; ${span}`);
    assert.equal(notCoveredDetail('HB_NORTH', 'ERCOT', 'RT_PRICE', c.firstTarget, null), 'no forecast of HB_NORTH (ERCOT, RT_PRICE) covers 2024-07-01T00:00:00.000Z');
  });
});
