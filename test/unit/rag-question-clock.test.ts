// trace: D.market-clock
// The older question path (rag/question.ts parseQuestion) and the intent's debug line (rag/intent.ts describeIntent)
// on the market's clock (market/zone-clock.ts): GB's days are UK days and its times read 'UK'; ERCOT's stay Central.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeIntent, parseIntent } from '../../rag/intent.js';
import { parseQuestion } from '../../rag/question.js';
import { CENTRAL_CLOCK, UK_CLOCK } from '../../market/zone-clock.js';

const H = 3_600_000;
// 2014-09-01 00:00 BST (UK) = 2014-08-31 23:00 UTC = 2014-08-31 18:00 CDT: the UK date is a day ahead of the Central one.
const GB_NOW = Date.UTC(2014, 7, 31, 23);

describe("question path on the market's clock", () => {
  it("resolves GB's named days as UK days", () => {
    const yesterday = parseQuestion('What was TAYLOR_EW load yesterday?', GB_NOW, undefined, UK_CLOCK).period;
    assert.deepEqual(yesterday, { from: Date.UTC(2014, 7, 30, 23), to: Date.UTC(2014, 7, 31, 23), label: 'yesterday' });
    assert.deepEqual(parseQuestion('TAYLOR_EW load on 2014-08-31', GB_NOW, undefined, UK_CLOCK).period, { from: Date.UTC(2014, 7, 30, 23), to: Date.UTC(2014, 7, 31, 23), label: '2014-08-31' });
    assert.deepEqual(parseQuestion('TAYLOR_EW load today', GB_NOW, undefined, UK_CLOCK).period, { from: GB_NOW, to: GB_NOW + 24 * H, label: 'today' });
    // The last 3 days end with today's UK day; the clock change of 2014-10-26 (25 hours) is counted on the UK calendar.
    assert.deepEqual(parseQuestion('load over the last 3 days', Date.UTC(2014, 9, 27, 12), undefined, UK_CLOCK).period, { from: Date.UTC(2014, 9, 24, 23), to: Date.UTC(2014, 9, 28, 0), label: 'the last 3 days' });
  });

  it('keeps ERCOT on Central operating days (the default clock)', () => {
    const p = parseQuestion('HB_NORTH yesterday', GB_NOW).period;
    assert.deepEqual(p, { from: Date.UTC(2014, 7, 30, 5), to: Date.UTC(2014, 7, 31, 5), label: 'yesterday' });
    assert.deepEqual(parseQuestion('HB_NORTH yesterday', GB_NOW, undefined, CENTRAL_CLOCK).period, p);
  });

  it("describes an intent's period on the market's clock", () => {
    const series = new Map([['TAYLOR_EW', ['LOAD']]]);
    const gb = parseIntent('What was the average TAYLOR_EW load yesterday?', GB_NOW, { series, clock: UK_CLOCK });
    assert.equal(describeIntent(gb, UK_CLOCK), 'mean LOAD [TAYLOR_EW] yesterday (2014-08-31 00:00 UK to 2014-09-01 00:00 UK)');
    const ercot = parseIntent('What was the average HB_NORTH price yesterday?', GB_NOW, { series: new Map([['HB_NORTH', ['RT_PRICE']]]) });
    assert.equal(describeIntent(ercot), 'mean RT_PRICE [HB_NORTH] yesterday (2014-08-30 00:00 CT to 2014-08-31 00:00 CT)');
  });
});
