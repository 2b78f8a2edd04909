// trace: D.numbers-from-tools
// The evaluation's answer scoring (test/rag-eval/questions.ts): numbers within the rounding they are written
// with, times in 24- and 12-hour forms, forbidden text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EvalQuestion, answerNumbers, scoreAnswer, statesNumber, timeForms } from '../rag-eval/questions.js';

describe('rag-eval scoring', () => {
  it('reads numbers with separators, signs and dollar signs', () => {
    assert.deepEqual(answerNumbers('load peaked at 81,490 MW; low $-26.01 and −3.5, 5,000 $/MWh').map((x) => x.value), [81490, -26.01, -3.5, 5000]);
  });

  it('accepts a number within the rounding it is written with, sign optional, and nothing further off', () => {
    assert.ok(statesNumber('about 45.2 $/MWh', 45.23));
    assert.ok(statesNumber('about 45 $/MWh', 45.23));
    assert.ok(statesNumber('45.23', 45.23));
    assert.ok(!statesNumber('45.25', 45.23));
    assert.ok(!statesNumber('46', 45.23));
    assert.ok(statesNumber('the low was 26.01 $/MWh below zero', -26.01));
    assert.ok(statesNumber('81,490 MW', 81490));
    assert.ok(!statesNumber('81.49 GW', 81490));
  });

  it('writes times in the forms a model uses', () => {
    assert.deepEqual(timeForms('20:30'), ['20:30', '8:30 pm', '8:30pm', '8:30 p.m.']);
    assert.deepEqual(timeForms('00:15'), ['00:15', '12:15 am', '12:15am', '12:15 a.m.']);
  });

  it('needs every fact and no forbidden text', () => {
    const q: EvalQuestion = {
      id: 'x', category: 'price-stat', question: '?', expectedDocs: ['d'], forbidden: ['999.99'],
      facts: [{ type: 'number', label: 'high', value: 256 }, { type: 'text', label: 'time', anyOf: timeForms('20:30') }],
    };
    assert.equal(scoreAnswer('It reached 256.00 $/MWh at 8:30 PM CT.', q).correct, true);
    assert.deepEqual(scoreAnswer('It reached 256.00 $/MWh.', q), { factsFound: 1, factsTotal: 2, correct: false, forbiddenFound: [] });
    assert.equal(scoreAnswer('It reached 256 at 20:30, or 999.99.', q).correct, false);
  });
});
