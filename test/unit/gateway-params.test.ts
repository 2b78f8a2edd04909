// trace: D.gateway
// GET /forecast parameter rules (its route schema in gateway/forecast-params.ts, checked by gateway/validate.ts): pure, no server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AT_MAX, AT_MIN, parseForecastQuery } from '../../gateway/forecast-params.js';
import { ValidationError, parseIsoInstant } from '../../gateway/validate.js';

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
      [{ series: 'HB_NORTH', extra: '1' }, 'extra'],
    ];
    // A well-formed time outside 2000-2100 is out of range, whichever side and century; a malformed one is not ISO-8601.
    for (const at of ['0001-01-01T00:00:00Z', '0050-06-15', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '9999-12-31T00:00:00Z']) {
      assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at }), /^ValidationError: at "[^"]+" is out of range \(2000-01-01T00:00:00\.000Z to 2100-01-01T00:00:00\.000Z\)$/, at);
    }
    assert.throws(() => parseForecastQuery({ series: 'HB_NORTH', at: '0001-02-30T00:00:00Z' }), /is not an ISO-8601 time/);
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
});
