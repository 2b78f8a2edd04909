// trace: D.summarizer
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conceptDocuments } from '../../rag/corpus.js';
import { centralLabel } from '../../market/format.js';
import { type HourlyStat, dailyDocument, dailyStats, eventDocuments, forecastDocument, hourlyDocument, supersededDocumentIds } from '../../processors/summarizer/documents.js';

const H = 3_600_000;
// 2024-07-01 00:00 CDT = 05:00 UTC
const DAY = Date.UTC(2024, 6, 1, 5);

function hour(i: number, mean: number, min: number, max: number, negative = 0, seriesId = 'HB_WEST'): HourlyStat {
  const t = DAY + i * H;
  return { market: 'ERCOT', seriesId, kind: 'RT_PRICE', unit: 'USD/MWh', hourStart: t, mean, min, minAt: t + 15 * 60_000, max, maxAt: t + 30 * 60_000, count: 4, negative };
}

describe('summarizer documents', () => {
  it('labels instants in Central time, across DST', () => {
    assert.equal(centralLabel(DAY), '2024-07-01 00:00 CT');
    assert.equal(centralLabel(Date.UTC(2024, 0, 15, 6)), '2024-01-15 00:00 CT');
  });

  it('writes an hourly summary whose numbers appear in its text', () => {
    const d = hourlyDocument(hour(17, 45.204, 30.1, 88.2), 1);
    assert.equal(d.id, 'hourly-summary:ERCOT:HB_WEST:RT_PRICE:2024-07-01T22:00:00.000Z');
    assert.equal(d.rangeEnd! - d.rangeStart!, H);
    assert.match(d.text, /HB_WEST real-time price \(ERCOT\), hour starting 2024-07-01 17:00 CT: average 45\.20 \$\/MWh, low 30\.10 at 17:15 CT, high 88\.20 at 17:30 CT/);
    for (const v of Object.values(d.numbers!)) assert.ok(d.text.includes(String(v)) || d.text.includes(v.toFixed(2)), `${v} in text`);
  });

  it('folds hours into a Central day: count-weighted mean, extremes with their times, negatives', () => {
    const hours = [hour(0, 10, -5, 20, 1), hour(1, 30, 25, 35), hour(23, 20, 15, 400)];
    const [day] = dailyStats(hours);
    assert.equal(day!.day, '2024-07-01');
    assert.equal(day!.dayStart, DAY);
    assert.equal(day!.dayEnd, DAY + 24 * H);
    assert.equal(day!.mean, 20);
    assert.equal(day!.min, -5);
    assert.equal(day!.max, 400);
    assert.equal(day!.maxAt, DAY + 23 * H + 30 * 60_000);
    assert.equal(day!.negative, 1);
    const doc = dailyDocument(day!, 1);
    assert.match(doc.text, /on 2024-07-01 \(Central\): average 20\.00 \$\/MWh, low -5\.00 at 00:15 CT, high 400\.00 at 23:30 CT, from 12 intervals in 3 hours\. 1 interval was negative\./);
  });

  it('reports negative prices per day and spikes per hour, and the same facts give the same ids', () => {
    const hours = [hour(0, 10, -5, 20, 1), hour(1, 30, 25, 35), hour(19, 200, 40, 900)];
    const days = dailyStats(hours);
    const events = eventDocuments(hours, days, 1);
    assert.deepEqual(events.map((e) => e.id), ['event:ERCOT:HB_WEST:RT_PRICE:negative:2024-07-01T05:00:00.000Z', 'event:ERCOT:HB_WEST:RT_PRICE:spike:2024-07-02T00:00:00.000Z']);
    assert.match(events[1]!.text, /Price spike: HB_WEST real-time price reached 900\.00 \$\/MWh, at 2024-07-01 19:30 CT/);
    assert.deepEqual(eventDocuments(hours, days, 2).map((e) => e.id), events.map((e) => e.id));
    const scarcity = eventDocuments([hour(18, 3000, 100, 4900)], dailyStats([hour(18, 3000, 100, 4900)]), 1);
    assert.match(scarcity[0]!.text, /^Scarcity pricing: .* reached 4900\.00 \$\/MWh, near the \$5,000\/MWh offer cap/);
  });

  it('summarises a forecast with its model, issue time, mean and extremes', () => {
    const d = forecastDocument({ market: 'ERCOT', seriesId: 'HB_NORTH', kind: 'RT_PRICE', modelVersion: 'v7', unit: 'USD/MWh', stepMs: H, targetStart: DAY, values: [20, 40, 30, 10], issuedAt: DAY - H }, 1);
    assert.equal(d.kind, 'forecast-snapshot');
    assert.equal(d.rangeEnd, DAY + 4 * H);
    assert.match(d.text, /by model v7, issued 2024-06-30 23:00 CT, for 4 steps from 2024-07-01 00:00 CT: average 25\.00 \$\/MWh, low 10\.00 at 2024-07-01 03:00 CT, high 40\.00 at 2024-07-01 01:00 CT/);
  });

  it("groups a GB series' hours into UK days and writes its times in UK time (market/zone-clock.ts), withdrawing its old Central-day ids", () => {
    // 2000-06-05 is a BST day: 00:00 UK = 2000-06-04 23:00 UTC = 18:00 CDT, so a Central day would split it in two.
    const ukMidnight = Date.UTC(2000, 5, 4, 23);
    const gb = (i: number, v: number): HourlyStat => {
      const t = ukMidnight + i * H;
      return { market: 'GB', seriesId: 'TAYLOR_EW', kind: 'LOAD', unit: 'MW', hourStart: t, mean: v, min: v - 1, minAt: t, max: v + 1, maxAt: t + 30 * 60_000, count: 2, negative: 0 };
    };
    const hours = Array.from({ length: 24 }, (_, i) => gb(i, i === 18 ? 40_000 : 30_000));
    const days = dailyStats(hours);
    assert.deepEqual(days.map((d) => [d.day, d.dayStart, d.dayEnd, d.hours]), [['2000-06-05', ukMidnight, ukMidnight + 24 * H, 24]]);
    const doc = dailyDocument(days[0]!, 1);
    assert.equal(doc.id, 'daily-summary:GB:TAYLOR_EW:LOAD:2000-06-04T23:00:00.000Z');
    assert.deepEqual([doc.rangeStart, doc.rangeEnd], [ukMidnight, ukMidnight + 24 * H]);
    assert.match(doc.text, /TAYLOR_EW load \(GB\) on 2000-06-05 \(UK\): average .* low 29999 at 00:00 UK, high 40001 at 18:30 UK, from 48 intervals in 24 hours\.$/);
    assert.doesNotMatch(doc.text, /CT|Central/);
    assert.match(hourlyDocument(hours[18]!, 1).text, /hour starting 2000-06-05 18:00 UK: average 40000 MW, low 39999 at 18:00 UK, high 40001 at 18:30 UK/);
    const f = forecastDocument({ market: 'run.r1.GB', seriesId: 'TAYLOR_EW', kind: 'LOAD', modelVersion: 'v1', unit: 'MW', stepMs: H, targetStart: ukMidnight, values: [1, 2], issuedAt: ukMidnight - H }, 1);
    assert.match(f.text, /issued 2000-06-04 23:00 UK, for 2 steps from 2000-06-05 00:00 UK: .* high 2 at 2000-06-05 01:00 UK/);
    // The ids the Central-day code wrote for these hours (Central days 2000-06-04 and 2000-06-05, midnights 05:00 UTC).
    assert.deepEqual(supersededDocumentIds(hours), ['daily-summary:GB:TAYLOR_EW:LOAD:2000-06-04T05:00:00.000Z', 'daily-summary:GB:TAYLOR_EW:LOAD:2000-06-05T05:00:00.000Z']);
    assert.ok(!supersededDocumentIds(hours).includes(doc.id));
    const price: HourlyStat = { ...gb(0, 10), kind: 'RT_PRICE', unit: 'USD/MWh' };
    assert.deepEqual(supersededDocumentIds([price]), ['daily-summary:GB:TAYLOR_EW:RT_PRICE:2000-06-04T05:00:00.000Z', 'event:GB:TAYLOR_EW:RT_PRICE:negative:2000-06-04T05:00:00.000Z']);
  });

  it('withdraws nothing for a market on US Central (its ids are unchanged)', () => {
    assert.deepEqual(supersededDocumentIds([hour(0, 10, -5, 20, 1), hour(23, 20, 15, 400)]), []);
  });

  it('turns each ## section of the corpus into a concept document', () => {
    const docs = conceptDocuments('# Title\nintro\n\n## Offer cap\nThe cap is\n$5,000/MWh.\n\n## Empty\n\n## DAM vs RT\nDay-ahead.', 'c', 1);
    assert.deepEqual(docs.map((d) => [d.id, d.text]), [['concept:c:offer-cap', 'Offer cap. The cap is $5,000/MWh.'], ['concept:c:dam-vs-rt', 'DAM vs RT. Day-ahead.']]);
  });
});
