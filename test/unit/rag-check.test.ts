// trace: D.numbers-from-tools
// The check of the model's words against the facts (rag/check.ts): measure words on either side of a number, the
// period a sentence writes, and a sentence about a series the facts are not about (fresh-tester findings, 2026-12-01).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundMeasures, checkModelText, identifiersIn, rangesIn, seriesIdsIn } from '../../rag/check.js';
import type { FactValue } from '../../rag/tools.js';

// "How does HB_WEST price relate to wind last week?" with the market clock at 2024-06-24 00:00 CT: relationFact's values.
const relation: FactValue[] = [
  { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'correlation', value: -0.41, unit: '' },
  { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'slope', value: -0.87, unit: '$/MWh per GW' },
  { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'hours', value: 168, unit: 'hours' },
  { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'mean', value: 23.02, unit: '$/MWh' },
  { series: 'SYSTEM', kind: 'WIND', measure: 'mean', value: 18211, unit: 'MW' },
];
const relationText = 'HB_WEST real-time price against system wind, last week (2024-06-17 00:00 CT to 2024-06-24 00:00 CT), over 168 hours of hourly means: correlation -0.41 (moderate negative relation); the price changed by -0.87 $/MWh per GW of wind (least-squares slope); average price 23.02 $/MWh, average wind 18211 MW.';

describe('check: measure words on either side of a number', () => {
  const check = (t: string) => checkModelText(t, relation, { periodTexts: [relationText] });

  it('drops the tester\'s sentence: 23.02 is last week\'s mean, not the lowest, and the period is not the fact\'s', () => {
    const r = check('The price of HB_WEST is 23.02 $/MWh, which is the lowest price in 2024-06-24 00:00 CT to 2024-06-17 00:00 CT.');
    assert.equal(r.kept, false);
    assert.deepEqual(r.reasons, ['wrong-number']);
    assert.ok(r.wrong.includes(23.02), `wrong: ${r.wrong}`);
  });

  it('drops a measure word after the number alone, with the right period', () => {
    const r = check('The price of HB_WEST is 23.02 $/MWh, which is the lowest price in 2024-06-17 00:00 CT to 2024-06-24 00:00 CT.');
    assert.deepEqual(r.wrong, [23.02]);
    assert.equal(check('HB_WEST reached 23.02 $/MWh, the highest of the week.').kept, false);
  });

  it('keeps the mean called a mean after the number, and a measure word that belongs to the next number', () => {
    assert.equal(check('The price of HB_WEST was 23.02 $/MWh, which is the average price in 2024-06-17 00:00 CT to 2024-06-24 00:00 CT.').kept, true);
    assert.equal(check('HB_WEST averaged 23.02 $/MWh and the correlation with wind was -0.41.').kept, true);
    assert.equal(check('The correlation was -0.41, with an average price of 23.02 $/MWh.').kept, true);
  });

  it('binds words after a number up to the next number, the last one to that number', () => {
    const s = 'HB_WEST was 23.02, which is the lowest, and the high was 40.';
    assert.deepEqual(boundMeasures(s, s.indexOf('23.02'), 5), [['min']]);
    assert.deepEqual(boundMeasures(s, s.indexOf('40'), 2), [['max']]);
    const t = 'average 23.02 $/MWh, low 15.10 $/MWh';
    assert.deepEqual(boundMeasures(t, t.indexOf('23.02'), 5), [['mean']]);
  });
});

describe('check: the period a sentence writes', () => {
  const check = (t: string) => checkModelText(t, relation, { periodTexts: [relationText] });

  it('reads written periods with their bounds in order', () => {
    assert.deepEqual(rangesIn('in 2024-06-24 00:00 CT to 2024-06-17 00:00 CT.').map((r) => [r.from, r.to]), [[{ date: '2024-06-24', time: '00:00' }, { date: '2024-06-17', time: '00:00' }]]);
    assert.deepEqual(rangesIn('from 2024-06-17 to 2024-06-24').map((r) => [r.from.date, r.to.date]), [['2024-06-17', '2024-06-24']]);
  });

  it('drops a period that is not the fact\'s, even when each bound appears in the facts', () => {
    assert.deepEqual(check('HB_WEST averaged 23.02 $/MWh from 2024-06-24 to 2024-06-17.').reasons, ['wrong-number']);
    assert.equal(check('HB_WEST averaged 23.02 $/MWh from 2024-06-17 to 2024-06-24.').kept, true);
    // The exclusive end of the period, written as a day of it.
    assert.deepEqual(check('HB_WEST averaged 23.02 $/MWh on 2024-06-24.').reasons, ['wrong-number']);
    assert.equal(check('HB_WEST averaged 23.02 $/MWh in the week from 2024-06-17 00:00 CT to 2024-06-24 00:00 CT.').kept, true);
  });
});

describe('check: a sentence about another series', () => {
  const system: FactValue[] = [
    { series: 'SYSTEM', kind: 'LOAD', measure: 'mean', value: 65418, unit: 'MW' },
    { series: 'SYSTEM', kind: 'LOAD', measure: 'min', value: 51002, unit: 'MW' },
  ];

  it('never lets a sentence naming series X pass with a number of series Y', () => {
    assert.deepEqual(seriesIdsIn('The average TAYLOR_EW load is 65418 MW, not RT_PRICE.'), ['TAYLOR_EW']);
    const r = checkModelText('The average TAYLOR_EW load is 65418 MW.', system);
    assert.equal(r.kept, false);
    assert.deepEqual(r.wrong, [65418]);
    assert.equal(checkModelText('The average SYSTEM load is 65418 MW.', system).kept, true);
    assert.equal(checkModelText('The average load is 65418 MW.', system).kept, true);
  });
});

// Fresh-tester finding (2026-12-02): "ungrounded: [20261202], [20240624]": the digits of the model version and the
// forecast's issue date, both written in the fact, were checked as figures, so most of the model's text was dropped.
describe('check: identifiers and issue dates the facts write are not figures', () => {
  const version = '20261202T153012345Z-tfjs-ab12';
  const forecast: FactValue[] = [
    { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'next', value: 31.2, unit: '$/MWh', at: Date.UTC(2024, 5, 25, 5) },
    { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'mean', value: 28.4, unit: '$/MWh' },
  ];
  const text = `The forecast for HB_WEST real-time price, tomorrow (2024-06-25 00:00 CT to 2024-06-26 00:00 CT) (model ${version}, issued 2024-06-24 00:00 CT) has 24 steps from 2024-06-25 00:00 CT: next value 31.20 $/MWh, average 28.40 $/MWh.`;
  const check = (t: string) => checkModelText(t, forecast, { periodTexts: [text] });

  it('keeps a sentence naming the model version and the issue time the fact states', () => {
    assert.deepEqual(check(`Model ${version} forecast HB_WEST to average 28.40 $/MWh tomorrow.`), { kept: true, reasons: [], wrong: [] });
    assert.deepEqual(check('The forecast was issued on 2024-06-24 at 00:00 CT; HB_WEST averages 28.40 $/MWh.'), { kept: true, reasons: [], wrong: [] });
    assert.deepEqual([...identifiersIn(text)], [version]);
  });

  it('still drops a version or date the facts do not write, and a wrong figure beside the version', () => {
    assert.deepEqual(check('Model 20251111T000000000Z-tfjs-ffff forecast HB_WEST to average 28.40 $/MWh.').wrong, [20251111]);
    assert.equal(check('The forecast was issued on 2024-06-23; HB_WEST averages 28.40 $/MWh.').kept, false);
    assert.deepEqual(check(`Model ${version} forecast HB_WEST to average 35.00 $/MWh.`).wrong, [35]);
  });
});
