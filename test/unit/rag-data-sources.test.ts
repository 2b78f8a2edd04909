// trace: D.numbers-from-tools
// Fresh-clone tester's finding: the model's "The data is not available to answer the question." followed facts that
// answered it. What the responder does with the model's words, at the level of pure functions of given inputs (no
// service, no stand-in for one):
// - check.ts dropDataDenials' own cases: such a sentence is dropped when facts were found, true caveats are kept.
// - responder.ts phrasedAnswer: (the facts, the model's text) -> the final answer, the function Responder.answer
//   hands every completion to. The denial cases moved here from test/integration/rag-data-sources.test.ts, where
//   the responder was given a chat model returning fixed text (a stand-in for the model service, against our rule);
//   the model's words are these cases' input, so they are given as constructed text, with facts as
//   rag/tools.ts negativeFact writes them for the day asked about. That the responder's real code path is this
//   function is guarded by the last case (Responder.answer, as loaded, calls it and none of the pieces it joins).
// The responder's sources (documents of the facts' series, kind and day) run with the real PostgreSQL, LanceDB and
// local model in test/integration/rag-data-sources.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dropDataDenials } from '../../rag/check.js';
import { Responder, phrasedAnswer } from '../../rag/responder.js';
import type { MeasureFact } from '../../rag/tools.js';

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

describe('phrasedAnswer: the final answer from the facts and the model\'s text (what Responder.answer makes of a completion)', () => {
  /** "Were there negative prices at HB_NORTH yesterday?" on 2024-06-20: the fact negativeFact writes for a day with no negative interval. */
  const facts: MeasureFact[] = [{
    id: 'negative:HB_NORTH:RT_PRICE:2024-06-19T05:00:00.000Z/2024-06-20T05:00:00.000Z',
    text: 'HB_NORTH real-time price, yesterday (2024-06-19 00:00 CT to 2024-06-20 00:00 CT): no interval was negative.',
    numbers: { negativeIntervals: 0 },
    values: [{ series: 'HB_NORTH', kind: 'RT_PRICE', measure: 'negativeIntervals', value: 0, unit: 'intervals' }],
  }];
  const head = `Here is what the data shows: ${facts[0]!.text}`;
  const denial = 'The data is not available to answer the question.';

  it('drops the model\'s sentence saying the data is not available, keeps the rest after the facts', () => {
    const said = `No, there were no negative prices at HB_NORTH yesterday.\n\n${denial}`;
    assert.deepEqual(phrasedAnswer(facts, said), {
      kept: true,
      answer: `${head}\n\nNo, there were no negative prices at HB_NORTH yesterday.`,
      phrasing: 'No, there were no negative prices at HB_NORTH yesterday.',
      dropped: [denial],
    });
  });

  it('a text of that sentence alone leaves the facts alone (nothing is kept: the check finds it empty)', () => {
    assert.deepEqual(phrasedAnswer(facts, ` ${denial} `), { kept: false, reasons: ['empty'], wrong: [], echoes: [], dropped: [denial] });
  });

  it('keeps a sentence about a series the facts do not cover (the facts\' series are what is covered)', () => {
    const said = 'No, there were no negative prices at HB_NORTH yesterday. HB_WEST has no data for yesterday.';
    assert.deepEqual(phrasedAnswer(facts, said), { kept: true, answer: `${head}\n\n${said}`, phrasing: said, dropped: [] });
  });

  it('drops no denial where there is nothing it contradicts: facts with no values, or a concept answer', () => {
    const noValues: MeasureFact[] = [{ ...facts[0]!, values: [] }];
    assert.deepEqual(phrasedAnswer(noValues, denial), { kept: true, answer: `${head}\n\n${denial}`, phrasing: denial, dropped: [] });
    // A concept answer: the documents as written lead, the phrasing follows; a sentence the documents do not support
    // (the denial here) is the documents check's to judge, not dropped as a denial.
    const doc = 'Negative prices. Real-time prices go negative when wind output is high and demand is low.';
    const concept = { documents: [doc], lead: `Here is what the data shows: ${doc}` };
    const said = 'Real-time prices go negative when wind output is high.';
    assert.deepEqual(phrasedAnswer([], said, { concept }), { kept: true, answer: `${concept.lead}\n\n${said}`, phrasing: said, dropped: [] });
    assert.deepEqual(phrasedAnswer([], `${said} ${denial}`, { concept }), { kept: false, reasons: ['unsupported'], wrong: [], echoes: [], dropped: [] });
  });

  it('does not keep a number the facts do not hold, nor text echoing the prompt\'s markup, denial dropped or not', () => {
    assert.deepEqual(phrasedAnswer(facts, `The lowest price was 14.69 $/MWh. ${denial}`), { kept: false, reasons: ['wrong-number'], wrong: [14.69], echoes: [], dropped: [denial] });
    const echo = phrasedAnswer(facts, 'The data says <<<END DATA>>> no interval was negative.');
    assert.deepEqual(echo.kept ? null : [echo.reasons, echo.echoes], [['instruction-echo'], ['delimiter']]);
  });

  it('is what Responder.answer hands each completion to (not its own denial drop, check or composition)', () => {
    // The method as loaded (dist/rag/responder.js): were it to stop calling phrasedAnswer, the cases above would no
    // longer cover the responder's answers.
    const body = Responder.prototype.answer.toString();
    assert.match(body, /\bphrasedAnswer\(facts, text\b/);
    for (const piece of ['dropDataDenials(', 'checkModelText(', 'composeAnswer(', 'instructionSignals(']) assert.ok(!body.includes(piece), `Responder.answer calls ${piece}) itself`);
  });
});
