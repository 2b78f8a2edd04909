// trace: D.numbers-from-tools
// Fresh-clone tester's finding: the model's "The data is not available to answer the question." followed facts that
// answered it. check.ts dropDataDenials drops such a sentence when facts were found, and keeps true caveats. Its own
// cases only: the responder's sources and its use of dropDataDenials run on the real PostgreSQL and LanceDB in
// test/integration/rag-data-sources.test.ts (reviewer LOW 7: this file faked the vector store and the pool).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropDataDenials } from '../../rag/check.js';

describe('dropDataDenials: model sentences saying the data is not available, when facts were found', () => {
  it('dropDataDenials removes the denials only, and only when there are facts', () => {
    for (const s of ['The data is not available to answer the question.', 'There is no data for that day.', "I don't have enough information to answer.", 'I cannot answer that question.', 'Price data was not available for HB_NORTH.', 'The context does not contain the data.']) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, { series: ['HB_NORTH'] }), { text: 'Prices stayed positive.', dropped: [s] }, s);
    }
    for (const s of ['No, there were no negative prices at HB_NORTH yesterday.', 'No interval was negative.', 'Real-time prices are available every 15 minutes.', 'The lowest price was 14.69 $/MWh.']) {
      assert.deepEqual(dropDataDenials(s, true), { text: s, dropped: [] }, s);
    }
    assert.deepEqual(dropDataDenials('The data is not available.', false), { text: 'The data is not available.', dropped: [] });
  });

  // Reviewer (M3 on 832b4b3): true sentences were dropped as denials.
  it('keeps a count of data points, a series the facts do not cover, a partial day and a denial going on with a fact', () => {
    const facts = { series: ['HB_NORTH'] };
    for (const s of [
      'No data points were below zero at HB_NORTH yesterday.',
      'HB_WEST has no data for yesterday.',
      'Prices for hours ending 20 to 24 were not available yet.',
      'I cannot answer what prices will be next week, but yesterday the average was $25.10/MWh.',
    ]) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, facts), { text: `Prices stayed positive. ${s}`, dropped: [] }, s);
    }
    // A denial naming only the series the facts cover is still dropped; with no covered series given, one naming a
    // series is kept (nothing says the facts hold it).
    assert.deepEqual(dropDataDenials('There is no data for HB_NORTH yesterday.', true, facts).dropped, ['There is no data for HB_NORTH yesterday.']);
    assert.deepEqual(dropDataDenials('There is no data for HB_NORTH yesterday.', true).dropped, []);
  });

  // Reviewer LOW 6: true caveats were dropped as denials.
  it('keeps a sentence naming a battery, or a hub or zone by name the facts do not cover', () => {
    const facts = { series: ['HB_NORTH'] };
    for (const s of ['I cannot answer what bess-north actually did.', 'There is no data for the West hub.', 'The Houston load zone has no data for yesterday.']) {
      assert.deepEqual(dropDataDenials(`Prices stayed positive. ${s}`, true, facts), { text: `Prices stayed positive. ${s}`, dropped: [] }, s);
    }
    // A hub named in words that the facts cover is the facts' own series: its denial is still dropped.
    assert.deepEqual(dropDataDenials('There is no data for the North hub.', true, facts).dropped, ['There is no data for the North hub.']);
  });
});
