// trace: D.numbers-from-tools
// The RAG evaluation set (test/rag-eval/) against the real pieces, without a language model: the simulated market
// written to PostgreSQL through the sinks' write functions under the evaluation's own market name (RAGEVAL), the
// summarizer's documents and the planted injection document embedded with all-MiniLM-L6-v2 into a LanceDB
// directory of this test's own under .cache/rag-eval/, then retrieval recall@5 through the responder's retrieval.
// `sda bench rag-eval` runs the same path with the model and reports answers, grounding and latency. The market
// name is the bench's, not a unique one, because document texts name their market and so move the embeddings;
// the two take turns through a PostgreSQL advisory lock (lockEvalMarket).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OnnxEmbedder, createEmbedder } from '../../rag/embeddings.js';
import { type ChatModel, LlmError } from '../../rag/llm.js';
import { parseQuestion } from '../../rag/question.js';
import { Responder } from '../../rag/responder.js';
import type { MarketDocument } from '../../schemas/types.js';
import { createPool } from '../../platform/postgres/pool.js';
import { LanceDbStore } from '../../rag/store/lancedb-store.js';
import { clearEvalMarket, indexEvalDocuments, loadEvalMarket, lockEvalMarket, plainRecall, responderRecall, share } from '../rag-eval/pipeline.js';
import { EVAL_MARKET, type EvalSet, INJECTED_VALUE, buildEvalSet, intentMatches, scoreAnswer, statesNumber, wrongNumbers } from '../rag-eval/questions.js';
import { loadCorpus } from '../../rag/corpus.js';

const corpus = loadCorpus().map((d) => d.text).join(' ');
import { config, uniqueName } from './harness.js';

/**
 * The floor for recall@5 through the responder's retrieval. Measured 39/49 = 0.796 on the 2-core development
 * machine (bench/RESULTS.md, 2026-11-27); the data, the embeddings (ONNX on the CPU) and LanceDB's exact search are
 * deterministic, so the figure should not move between runs. 0.70 (35 of 49) leaves two questions of slack for
 * near-ties that another CPU's float rounding may reorder and sits above plain unfiltered top-5 search over the
 * same store (32/49 = 0.653, measured alongside): a responder that lost its series and period filters fails here.
 */
const RECALL_FLOOR = 0.7;

const NO_MODEL: ChatModel = {
  name: 'none',
  complete: () => Promise.reject(new LlmError('LLM_UNREACHABLE', 'retrieval-only test', false)),
  close: async () => {},
};

describe('RAG evaluation set', () => {
  const market = EVAL_MARKET;
  const dir = path.join(config.cacheDir, 'rag-eval', `test-${uniqueName('x').slice(-8)}`);
  const pool = createPool(config, 3);
  let unlock: (() => Promise<void>) | undefined;
  let set: EvalSet;
  let docs: MarketDocument[];
  let embedder: OnnxEmbedder;
  let store: LanceDbStore;
  let responder: Responder;

  before(async () => {
    unlock = await lockEvalMarket(pool);
    set = buildEvalSet(market);
    await loadEvalMarket(pool, set);
    embedder = await createEmbedder(config);
    store = await LanceDbStore.open(dir, 'rag_eval');
    await store.ensureCollection(embedder.dim);
    ({ docs } = await indexEvalDocuments(pool, embedder, store, set));
    responder = new Responder({ embedder, store, llm: NO_MODEL, pool, market, now: () => set.now });
  });

  after(async () => {
    await clearEvalMarket(pool, market).catch(() => undefined);
    await unlock?.().catch(() => undefined);
    await pool.end();
    await store?.close();
    await embedder?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is deterministic and names its own market', () => {
    const again = buildEvalSet(market);
    assert.deepEqual(again.questions, set.questions);
    assert.deepEqual(again.forecasts, set.forecasts);
    assert.equal(set.market, EVAL_MARKET);
    assert.ok(set.ticks.every((t) => t.market === EVAL_MARKET));
  });

  it('has at least 40 well-formed questions covering the mix', () => {
    const qs = set.questions;
    assert.ok(qs.length >= 40, `${qs.length} questions`);
    assert.equal(new Set(qs.map((q) => q.id)).size, qs.length, 'question ids are unique');
    assert.equal(new Set(qs.map((q) => q.question)).size, qs.length, 'questions are distinct');
    const count = (c: string) => qs.filter((q) => q.category === c).length;
    assert.ok(count('price-stat') >= 10);
    for (const c of ['dam-price', 'negative', 'spike', 'system', 'forecast', 'concept', 'injection']) assert.ok(count(c) >= 2, `${c}: ${count(c)}`);
    for (const kind of ['LOAD', 'WIND', 'SOLAR']) assert.ok(qs.some((q) => q.category === 'system' && parseQuestion(q.question, set.now).kind === kind), kind);
    for (const concept of ['offer-cap', 'dam-vs-rt', 'settlement-points', 'battery']) assert.ok(qs.some((q) => q.id === `concept-${concept}`), concept);
    // Issue 14's categories, over the market clock.
    for (const c of ['relative-period', 'comparison', 'extreme-time', 'capped', 'weather-relation', 'unknown-series']) assert.ok(count(c) >= 2, `${c}: ${count(c)}`);
    const ISSUE_7 = new Set(['price-stat', 'dam-price', 'negative', 'spike', 'system', 'forecast', 'concept', 'ranking', 'injection']);
    for (const q of qs) {
      assert.ok(q.intent, `${q.id}: no expected intent`);
      if (ISSUE_7.has(q.category) && !q.intent?.unknown && q.id !== 'negative-any-yesterday' && q.id !== 'negative-hb_west-3-days' && q.id !== 'concept-offer-cap-bidding') assert.ok(q.expectedDocs.length > 0, q.id);
      if (q.id !== 'injection-question') assert.ok(q.facts.length > 0, q.id);
      for (const f of q.facts) if (f.type === 'number') assert.ok(Number.isFinite(f.value), `${q.id}: ${f.label}`);
    }
    assert.ok(qs.filter((q) => q.category === 'injection').every((q) => q.forbidden.length > 0));
  });

  it('states every expected fact in the data the pipeline stored, under the expected document ids', async () => {
    const byId = new Map(docs.map((d) => [d.id, d]));
    for (const q of set.questions) {
      for (const id of q.expectedDocs) assert.ok(byId.has(id), `${q.id}: expected document ${id} was not written`);
      if (!q.factDoc) continue;
      const doc = byId.get(q.factDoc);
      assert.ok(doc, `${q.id}: ${q.factDoc}`);
      const s = scoreAnswer(doc.text, q);
      assert.equal(s.factsFound, s.factsTotal, `${q.id}: "${doc.text}" does not state ${JSON.stringify(q.facts)}`);
    }
    // The stored rows agree with the facts: a day's average straight from market_data, for every average question.
    for (const q of set.questions.filter((x) => /-average$/.test(x.id) && x.category !== 'system' && x.category !== 'unknown-series')) {
      const p = parseQuestion(q.question, set.now);
      const res = await pool.query<{ mean: number }>('SELECT avg(value) AS mean FROM market_data WHERE market = $1 AND series_id = $2 AND kind = $3 AND interval_start >= $4 AND interval_start < $5',
        [market, p.series[0], p.kind, new Date(p.period!.from), new Date(p.period!.to)]);
      assert.ok(statesNumber(Number(res.rows[0]!.mean).toFixed(2), (q.facts[0] as { value: number }).value), `${q.id}: ${res.rows[0]!.mean}`);
    }
    // The planted number is only in the planted document.
    assert.deepEqual(docs.filter((d) => d.text.includes(INJECTED_VALUE)).map((d) => d.id), [set.injection.id]);
  });

  it('answers from the facts over the market clock read from the data: intents, every expected fact, no wrong number', async () => {
    // No `now`: the clock is the end of the last stored interval (00:00 CT after the last simulated day).
    const clocked = new Responder({ embedder, store, llm: NO_MODEL, pool, market });
    assert.equal((await clocked.marketState()).now, set.now);
    const rows = [];
    for (const q of set.questions) {
      const a = await clocked.answer({ question: q.question }, undefined, { model: 'off' });
      rows.push({ q, a, intent: intentMatches(a.intent, q.intent), score: scoreAnswer(a.answer, q), wrong: wrongNumbers(a.answer, set, q, q.category === 'concept' ? corpus : '') });
    }
    const numeric = rows.filter((r) => r.q.facts.some((f) => f.type === 'number') && r.q.category !== 'concept');
    assert.deepEqual(numeric.filter((r) => !r.score.correct).map((r) => `${r.q.id}: ${r.a.answer}`), [], 'every numeric answer states its expected facts');
    assert.deepEqual(rows.filter((r) => r.wrong.length > 0).map((r) => `${r.q.id}: ${r.wrong.join(', ')} in ${r.a.answer}`), [], 'no answer states a wrong number');
    const parsed = rows.filter((r) => r.intent).length / rows.length;
    assert.ok(parsed >= 0.95, `intent accuracy ${parsed}: ${rows.filter((r) => !r.intent).map((r) => r.q.id).join(', ')}`);
    // Every data answer states its period in CT.
    for (const r of rows.filter((x) => x.q.intent?.period && !x.q.intent.unknown)) assert.match(r.a.answer, / CT\b/, r.q.id);
  });

  it(`retrieves an expected source among the top 5 for at least ${RECALL_FLOOR * 100}% of the questions`, async (t) => {
    const rec = await responderRecall(responder, set);
    const plain = await plainRecall(embedder, store, set);
    const recall = share(rec.map((r) => r.hit));
    t.diagnostic(`recall@5 responder retrieval ${rec.filter((r) => r.hit).length}/${rec.length} = ${recall.toFixed(3)}; plain top-5 search ${plain.filter((r) => r.hit).length}/${plain.length} = ${share(plain.map((r) => r.hit)).toFixed(3)}`);
    t.diagnostic(`misses: ${rec.filter((r) => !r.hit).map((r) => r.id).join(', ')}`);
    assert.ok(recall >= RECALL_FLOOR, `recall@5 ${recall.toFixed(3)} is below ${RECALL_FLOOR}; misses: ${rec.filter((r) => !r.hit).map((r) => `${r.id} → ${r.retrieved.join(' ')}`).join('; ')}`);
    // The planted document reaches the model's context for its question (so the bench tests resistance, not luck).
    const planted = set.questions.find((q) => q.id === 'injection-planted-document')!;
    const hits = await responder.retrieveFor(planted.question);
    assert.ok(hits.some((h) => h.payload.docId === set.injection.id), hits.map((h) => h.payload.docId).join(' '));
  });
});
