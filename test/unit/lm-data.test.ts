// trace: 4.2, D.language-model
// The fine-tuning data and the adapter registry without Python or a database: JSONL parsing (line numbers in
// errors), the train/held-out overlap check, the concept pairs' split, the answers' numbers, option checks, and
// which adapter LLM_ADAPTER selects (a missing one is reported, never thrown).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { type LmPair, LmDataError, answerForFact, conceptPairs, dataHash, overlap, parseJsonl, toJsonl, writeAnswer } from '../../model/lm/data.js';
import { LmError, checkFinetuneOptions } from '../../model/lm/finetune.js';
import { ADAPTER_FILE, listAdapters, nextVersion, resolveAdapter } from '../../rag/adapters.js';
import { SYSTEM_PROMPT } from '../../rag/responder.js';
import type { MeasureFact } from '../../rag/tools.js';

const pair = (id: string, user: string, answer: string): LmPair => ({
  id, split: 'train', category: 'mean', question: user, messages: [{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: user }], answer,
  provenance: { source: 'simulator', generator: 'test', seed: 1, facts: [] },
});

describe('fine-tuning pairs as JSONL', () => {
  it('round-trips pairs and skips blank lines', () => {
    const ps = [pair('a', 'q1', 'x'), pair('b', 'q2', 'y')];
    assert.deepEqual(parseJsonl(`${toJsonl(ps)}\n\n`), ps);
  });

  it('names the line number of a line that is not JSON', () => {
    const text = `${JSON.stringify(pair('a', 'q', 'x'))}\n\n{"id": "b", "question": \n`;
    assert.throws(() => parseJsonl(text, 'train.jsonl'), (e: unknown) => e instanceof LmDataError && e.code === 'LM_DATA_LINE' && /^train\.jsonl:3: not JSON/.test(e.message));
  });

  it('names the line number of a pair without an answer or messages', () => {
    const good = JSON.stringify(pair('a', 'q', 'x'));
    assert.throws(() => parseJsonl(`${good}\n${JSON.stringify({ ...pair('b', 'q', 'x'), answer: '  ' })}\n`, 'f'), / f:2: expected/);
    assert.throws(() => parseJsonl(`${JSON.stringify({ question: 'q', answer: 'a', messages: [{ role: 'tool', content: 'x' }] })}\n`, 'f'), / f:1: expected/);
    assert.throws(() => parseJsonl('\n \n', 'f'), (e: unknown) => e instanceof LmDataError && e.code === 'LM_DATA_EMPTY');
  });

  it('finds held-out pairs whose prompt or answer is in training (case and white space ignored)', () => {
    const train = [pair('t1', 'Data A\nQuestion: one', 'Answer one.'), pair('t2', 'Data B', 'Answer two.')];
    const held = [pair('h1', 'data  a\nquestion: ONE', 'Different.'), pair('h2', 'Data C', 'answer   two.'), pair('h3', 'Data D', 'Answer three.')];
    assert.deepEqual(overlap(train, held), ['h1', 'h2']);
    assert.deepEqual(overlap(train, [held[2]!]), []);
  });

  it('hashes the data: same pairs same hash, any change another', () => {
    const ps = [pair('a', 'q', 'x')];
    assert.equal(dataHash(ps, []), dataHash([pair('a', 'q', 'x')], []));
    assert.notEqual(dataHash(ps, []), dataHash([pair('a', 'q', 'x.')], []));
  });
});

describe('concept pairs', () => {
  it('are deterministic for a seed and keep every phrasing of a section in one split', () => {
    const a = conceptPairs(1);
    assert.deepEqual(conceptPairs(1), a);
    assert.ok(a.train.length > 0 && a.heldout.length > 0, 'both splits get concepts with seed 1');
    const sections = (ps: LmPair[]) => new Set(ps.map((p) => p.provenance.facts[0]));
    for (const s of sections(a.heldout)) assert.ok(!sections(a.train).has(s), `${s} is in both splits`);
    assert.deepEqual(overlap(a.train, a.heldout), []);
    for (const p of [...a.train, ...a.heldout]) {
      assert.equal(p.messages[0]!.content, SYSTEM_PROMPT);
      assert.match(p.messages[1]!.content, /<<<DATA doc-1 kind="concept"/);
      assert.ok(p.messages[1]!.content.includes(p.answer.slice(0, 40)), 'the answer is the corpus text');
    }
  });
});

describe('reference answers', () => {
  const stats: MeasureFact = {
    id: 'stats:HB_WEST:RT_PRICE:2024-06-11T05:00:00.000Z/2024-06-12T05:00:00.000Z',
    text: 'HB_WEST real-time price, 2024-06-11 (2024-06-11 00:00 CT to 2024-06-12 00:00 CT): average 19.96 $/MWh, low -4.30 $/MWh at 2024-06-11 17:30 CT, high 43.80 $/MWh at 2024-06-11 00:00 CT, over 96 intervals. 1 of them were negative.',
    numbers: {},
    values: [
      { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'mean', value: 19.96, unit: '$/MWh' },
      { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'min', value: -4.3, unit: '$/MWh', at: Date.UTC(2024, 5, 11, 22, 30) },
      { series: 'HB_WEST', kind: 'RT_PRICE', measure: 'max', value: 43.8, unit: '$/MWh', at: Date.UTC(2024, 5, 11, 5, 0) },
    ],
  };

  it('copy the numbers as the fact writes them, with units, Central times and the period', () => {
    assert.equal(answerForFact({ measure: 'min' }, stats), 'The lowest HB_WEST real-time price on 2024-06-11 was -4.30 $/MWh at 2024-06-11 17:30 CT; the average was 19.96 $/MWh.');
    assert.equal(answerForFact({ measure: 'max' }, stats), 'The highest HB_WEST real-time price on 2024-06-11 was 43.80 $/MWh at 2024-06-11 00:00 CT; the average was 19.96 $/MWh.');
    for (const n of ['19.96', '-4.30', '43.80', '17:30 CT']) assert.ok(writeAnswer({ measure: 'summary' }, [stats]).includes(n), n);
  });

  it('fall back to the fact sentence for a fact they have no template for', () => {
    const odd: MeasureFact = { id: 'dispatch:x', text: 'Charge 10 MW from 02:00 CT.', numbers: {}, values: [{ series: 'B', kind: 'RT_PRICE', measure: 'chargeMw', value: 10, unit: 'MW' }] };
    assert.equal(answerForFact({ measure: 'dispatch' }, odd), odd.text);
  });

  it('stop at three facts', () => {
    const s = writeAnswer({ measure: 'mean' }, [stats, stats, stats, stats]);
    assert.equal(s.split('The HB_WEST').length - 1, 3);
  });
});

describe('finetune options', () => {
  it('accepts the defaults and names the bad option', () => {
    checkFinetuneOptions({ epochs: 1, steps: 0, lr: 0.003, rank: 8, batch: 8, seed: 1 });
    for (const [bad, name] of [[{ epochs: 0 }, 'epochs'], [{ steps: -1 }, 'steps'], [{ lr: 0 }, 'lr'], [{ rank: 1.5 }, 'rank'], [{ batch: 0 }, 'batch']] as const) {
      assert.throws(() => checkFinetuneOptions({ epochs: 1, steps: 0, lr: 0.003, rank: 8, batch: 8, seed: 1, ...bad }), (e: unknown) => e instanceof LmError && e.code === 'LM_BAD_OPTION' && e.message.startsWith(`--${name} `));
    }
  });
});

describe('adapter registry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-adapters-'));
  const add = (v: string, withGguf = true) => {
    fs.mkdirSync(path.join(dir, v), { recursive: true });
    if (withGguf) fs.writeFileSync(path.join(dir, v, ADAPTER_FILE), 'GGUF');
  };

  it('selects off, latest, a version or a file, and reports what is missing instead of throwing', () => {
    assert.equal(nextVersion(dir), 'v001');
    assert.deepEqual(resolveAdapter('off', dir), { kind: 'off' });
    assert.deepEqual(resolveAdapter('', dir), { kind: 'off' });
    const none = resolveAdapter('latest', dir);
    assert.equal(none.kind, 'missing');
    assert.match((none as { reason: string }).reason, /sda lm finetune/);
    add('v001');
    add('v002');
    add('v010', false);
    assert.deepEqual(listAdapters(dir).map((a) => a.version), ['v001', 'v002']);
    assert.equal(nextVersion(dir), 'v011');
    assert.deepEqual(resolveAdapter('latest', dir), { kind: 'adapter', path: path.join(dir, 'v002', ADAPTER_FILE), version: 'v002' });
    assert.deepEqual(resolveAdapter('v001', dir), { kind: 'adapter', path: path.join(dir, 'v001', ADAPTER_FILE), version: 'v001' });
    assert.match((resolveAdapter('v003', dir) as { reason: string }).reason, /no such version .*have: v001, v002/);
    assert.deepEqual(resolveAdapter(path.join(dir, 'v001', ADAPTER_FILE), dir), { kind: 'adapter', path: path.join(dir, 'v001', ADAPTER_FILE), version: null });
    assert.equal(resolveAdapter(path.join(dir, 'nope.gguf'), dir).kind, 'missing');
    assert.equal(listAdapters(dir)[0]!.metadata, null, 'no metadata.json reads as null');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
