// `sda bench rag-eval`: the RAG responder against the evaluation question set (test/rag-eval/questions.ts).
// Simulated ticks (seed 7, 3 days, market RAGEVAL) → market_data through the sink's write function, deterministic
// forecasts → forecasts, the summarizer's documents plus a planted prompt-injection document → embeddings →
// LanceDB in .cache/rag-eval/lancedb; then every question through the responder. Figures: retrieval recall@5
// (responder retrieval; plain unfiltered top-5 search as the baseline), share of answers stating the expected facts,
// grounding-check pass rate, injection resistance, latency p50/p95 per question. Baseline for answers: the
// responder without a model (its facts fall-back), measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { createEmbedder } from '../rag/embeddings.js';
import { type ChatModel, LlmError, LocalLlamaModel, OpenAiCompatibleModel, createChatModel } from '../rag/llm.js';
import { modelPaths } from '../rag/models.js';
import { Responder, type ResponderAnswer } from '../rag/responder.js';
import { createPool } from '../platform/postgres/pool.js';
import { LanceDbStore } from '../rag/store/lancedb-store.js';
import { clearEvalMarket, indexEvalDocuments, loadEvalMarket, lockEvalMarket, plainRecall, responderRecall, share } from '../test/rag-eval/pipeline.js';
import { EVAL_MARKET, EVAL_SIM, type EvalQuestion, type EvalSet, buildEvalSet, intentMatches, scoreAnswer, wrongNumbers } from '../test/rag-eval/questions.js';
import { loadCorpus } from '../rag/corpus.js';

export interface RagEvalBenchOptions {
  /** LLM threads for the local model (default: LLM_THREADS). */
  threads?: number;
  maxTokens?: number;
  /** Only the first n questions (a quick look); default all. */
  limit?: number;
  skipLlm?: boolean;
  /** Leave the RAGEVAL rows in PostgreSQL after the run. */
  keep?: boolean;
  /** LoRA adapters (GGUF) to run the set with too, each on top of the local model (issue 15, `sda lm evaluate`). */
  adapters?: Array<{ label: string; path: string }>;
  /** Where the report goes (default .cache/rag-eval/last-run.json). */
  reportFile?: string;
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '');

/** A model that is never reached: the responder answers with its facts, the no-model baseline. */
const NO_MODEL: ChatModel = {
  name: 'none (facts fall-back)',
  complete: () => Promise.reject(new LlmError('LLM_UNREACHABLE', 'no model in the baseline run', false)),
  close: async () => {},
};

interface Answered {
  id: string;
  category: string;
  question: string;
  answer: string;
  mode: ResponderAnswer['mode'];
  ungrounded: number[];
  ms: number;
  factsFound: number;
  factsTotal: number;
  correct: boolean;
  forbiddenFound: string[];
  sources: string[];
  /** The parser found the expected measure, series, kind and period (or the expected unknowns). */
  intentCorrect: boolean;
  intent: string;
  /** Numbers stated that are true of nothing the question asked about (test/rag-eval/questions.ts wrongNumbers). */
  wrongNumbers: number[];
  modelSkipped: string[];
}

const CORPUS_TEXT = loadCorpus().map((d) => d.text).join(' ');

async function answerAll(responder: Responder, set: EvalSet, questions: readonly EvalQuestion[], model: 'auto' | 'off', progress: (i: number, a: Answered) => void): Promise<Answered[]> {
  const out: Answered[] = [];
  for (const [i, q] of questions.entries()) {
    const t = performance.now();
    const a = await responder.answer({ question: q.question }, undefined, { model });
    const elapsed = performance.now() - t;
    const s = scoreAnswer(a.answer, q);
    const row: Answered = {
      id: q.id, category: q.category, question: q.question, answer: a.answer, mode: a.mode, ungrounded: a.ungrounded, ms: Math.round(elapsed), ...s, sources: a.sources.map((x) => x.id),
      intentCorrect: intentMatches(a.intent, q.intent), intent: a.intent ? `${a.intent.measure} ${a.intent.kind} [${a.intent.series.join(',')}] ${a.period ?? '-'}` : '-',
      wrongNumbers: wrongNumbers(a.answer, set, q, q.intent?.measure === 'concept' || q.category === 'concept' ? CORPUS_TEXT : ''), modelSkipped: a.modelSkipped ?? [],
    };
    out.push(row);
    progress(i, row);
  }
  return out;
}

function summarise(rows: readonly Answered[]) {
  const lat = rows.map((r) => r.ms);
  const model = rows.filter((r) => r.mode !== 'facts');
  const withFacts = rows.filter((r) => r.factsTotal > 0);
  return {
    answers: rows.length,
    correct: share(rows.map((r) => r.correct)),
    factsFound: withFacts.reduce((a, r) => a + r.factsFound, 0) / Math.max(1, withFacts.reduce((a, r) => a + r.factsTotal, 0)),
    groundingPass: share(rows.map((r) => r.mode !== 'facts')),
    groundingFirstTry: share(rows.map((r) => r.mode === 'model')),
    modes: { model: rows.filter((r) => r.mode === 'model').length, regenerated: rows.filter((r) => r.mode === 'regenerated').length, facts: rows.filter((r) => r.mode === 'facts').length },
    correctWhenModelWrote: model.length > 0 ? share(model.map((r) => r.correct)) : null,
    injectionResisted: share(rows.filter((r) => r.category === 'injection').map((r) => r.forbiddenFound.length === 0)),
    correctByCategory: Object.fromEntries([...new Set(rows.map((r) => r.category))].map((c) => [c, `${rows.filter((r) => r.category === c && r.correct).length}/${rows.filter((r) => r.category === c).length}`])),
    intentAccuracy: share(rows.map((r) => r.intentCorrect)),
    answersWithWrongNumbers: rows.filter((r) => r.wrongNumbers.length > 0).length,
    byCategory: Object.fromEntries([...new Set(rows.map((r) => r.category))].map((c) => {
      const rs = rows.filter((r) => r.category === c);
      const l = rs.map((r) => r.ms);
      return [c, { questions: rs.length, intent: rs.filter((r) => r.intentCorrect).length, allFacts: rs.filter((r) => r.correct).length, noWrongNumber: rs.filter((r) => r.wrongNumbers.length === 0).length, p50Ms: quantile(l, 0.5), p95Ms: quantile(l, 0.95) }];
    })),
    latencyMs: { p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), max: Math.max(...lat), mean: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length) },
  };
}

export async function runRagEvalBench(config: Config, opts: RagEvalBenchOptions = {}): Promise<void> {
  const err = (msg: string) => process.stderr.write(`${msg}\n`);
  const threads = opts.threads ?? config.llm.threads;
  const load0 = os.loadavg();
  const set = buildEvalSet(EVAL_MARKET);
  const questions = opts.limit ? set.questions.slice(0, opts.limit) : set.questions;
  const dir = path.join(config.cacheDir, 'rag-eval', 'lancedb');
  const pool = createPool(config, 3);
  const unlock = await lockEvalMarket(pool);
  const embedder = await createEmbedder(config, { threads: 2 });
  const store = await LanceDbStore.open(dir, 'rag_eval');
  const report: Record<string, unknown> = {};
  const rows: Array<[string, string, string]> = [];
  try {
    // Data path
    const t0 = performance.now();
    const loaded = await loadEvalMarket(pool, set);
    const loadSeconds = (performance.now() - t0) / 1_000;
    await store.drop();
    await store.ensureCollection(embedder.dim);
    const { counts } = await indexEvalDocuments(pool, embedder, store, set);
    err(`rag-eval: ${loaded.ticks} ticks and ${loaded.forecasts} forecasts written in ${loadSeconds.toFixed(1)} s; ${counts.documents} documents embedded in ${counts.embedSeconds.toFixed(1)} s, stored in ${counts.upsertSeconds.toFixed(1)} s`);
    report.data = { market: set.market, simulation: EVAL_SIM, window: [new Date(set.from).toISOString(), new Date(set.to).toISOString()], responderNow: new Date(set.now).toISOString(), ...loaded, loadSeconds: Number(loadSeconds.toFixed(2)), ...counts, embedSeconds: Number(counts.embedSeconds.toFixed(1)), upsertSeconds: Number(counts.upsertSeconds.toFixed(1)), lancedb: dir };

    // Retrieval
    const noModel = new Responder({ embedder, store, llm: NO_MODEL, pool, market: set.market });
    const evalSet = { ...set, questions };
    const rec = await responderRecall(noModel, evalSet);
    const plain = await plainRecall(embedder, store, evalSet);
    const byCat = (rs: typeof rec) => Object.fromEntries([...new Set(rs.map((r) => r.category))].map((c) => [c, `${rs.filter((r) => r.category === c && r.hit).length}/${rs.filter((r) => r.category === c).length}`]));
    report.retrieval = {
      recallAt5: share(rec.map((r) => r.hit)), byCategory: byCat(rec), misses: rec.filter((r) => !r.hit).map((r) => ({ id: r.id, retrieved: r.retrieved })),
      baselinePlainTop5: share(plain.map((r) => r.hit)), baselineByCategory: byCat(plain),
    };
    rows.push(['retrieval recall@5, plain top-5 vector search, no filters (baseline)', pct(share(plain.map((r) => r.hit))), `${plain.filter((r) => r.hit).length}/${plain.length}`]);
    rows.push(['**retrieval recall@5, responder retrieval (the intent: series, period and kind filters, plus concepts)**', `**${pct(share(rec.map((r) => r.hit)))}**`, `${rec.filter((r) => r.hit).length}/${rec.length}; by category ${Object.entries(byCat(rec)).map(([c, v]) => `${c} ${v}`).join(', ')}`]);

    // Answers without a model (baseline)
    // The market clock is read from market_data: the end of the last simulated interval, not the wall clock.
    const clock = await noModel.marketState();
    if (clock.now !== set.now) throw new Error(`rag-eval: the market clock reads ${clock.now === null ? 'nothing' : new Date(clock.now).toISOString()}, expected ${new Date(set.now).toISOString()}`);
    // One untimed pass warms the pool, the clock cache and the embedder.
    await answerAll(noModel, set, questions.slice(0, 3), 'auto', () => undefined);
    const factsRows = await answerAll(noModel, set, questions, 'off', () => undefined);
    const f0 = summarise(factsRows);
    report.factsAnswer = { ...f0, perQuestion: factsRows };
    rows.push(['**facts answer (market clock, intent, SQL facts; no retrieval, no model)**', `**intent ${pct(f0.intentAccuracy)}; all facts ${pct(f0.correct)}; ${f0.answersWithWrongNumbers} answers with a wrong number**`, `latency p50 ${ms(f0.latencyMs.p50)} ms, p95 ${ms(f0.latencyMs.p95)} ms, max ${ms(f0.latencyMs.max)} ms`]);
    printCategories('facts answer', f0.byCategory);
    const base = await answerAll(noModel, set, questions, 'auto', () => undefined);
    const b = summarise(base);
    report.baselineFactsOnly = { ...b, perQuestion: base };
    rows.push(['answers stating all expected facts, model unreachable (facts + retrieval, baseline)', pct(b.correct), `intent ${pct(b.intentAccuracy)}; ${b.answersWithWrongNumbers} answers with a wrong number; facts found ${pct(b.factsFound)}; injection resisted ${pct(b.injectionResisted)}; latency p50 ${ms(b.latencyMs.p50)} ms, p95 ${ms(b.latencyMs.p95)} ms`]);

    // Answers with the model(s)
    const models: Array<{ label: string; make: () => Promise<ChatModel> }> = [];
    if (!opts.skipLlm) {
      models.push({ label: `local SmolLM2-135M-Instruct Q4_1, ${threads} thread(s)`, make: () => createChatModel({ ...config, llm: { ...config.llm, baseUrl: undefined, threads, adapter: 'off' } }) });
      if (config.llm.baseUrl) models.push({ label: `OpenAI-compatible ${config.llm.model}`, make: async () => new OpenAiCompatibleModel(config.llm.baseUrl!, config.llm.model, config.llm.apiKey) });
      for (const a of opts.adapters ?? []) {
        models.push({ label: `local SmolLM2-135M-Instruct Q4_1 + LoRA ${a.label}, ${threads} thread(s)`, make: () => LocalLlamaModel.load(modelPaths(config).llmGguf, { threads, contextSize: config.llm.contextSize, adapter: { path: a.path, label: a.label } }) });
      }
    }
    const runs: Record<string, unknown> = {};
    for (const m of models) {
      const t = performance.now();
      const llm = await m.make();
      const loadMs = performance.now() - t;
      try {
        // One warm-up so the first question does not pay for the first evaluation's allocations.
        await llm.complete([{ role: 'user', content: 'Hi' }], { maxTokens: 2 });
        const responder = new Responder({ embedder, store, llm, pool, market: set.market, ...(opts.maxTokens ? { maxTokens: opts.maxTokens } : {}) });
        const answered = await answerAll(responder, set, questions, 'auto', (i, a) => err(`[${i + 1}/${questions.length}] ${a.ms} ms ${a.mode}${a.correct ? ' correct' : ` ${a.factsFound}/${a.factsTotal} facts`}${a.forbiddenFound.length ? ' INJECTED' : ''}: ${a.id}`));
        const s = summarise(answered);
        printCategories(m.label, s.byCategory);
        rows.push([`**numbers, ${m.label}**`, `**${s.answersWithWrongNumbers} answers with a wrong number**`, `model text kept ${s.modes.model + s.modes.regenerated}/${answered.length}; dropped for ${[...new Set(answered.flatMap((a) => a.modelSkipped))].join(', ') || '-'}`]);
        const planted = answered.find((a) => a.id === 'injection-planted-document');
        runs[m.label] = { model: llm.name, loadMs: Math.round(loadMs), ...s, plantedDocumentRetrieved: planted ? planted.sources.includes(set.injection.id) : null, perQuestion: answered };
        rows.push([`**answers stating all expected facts, ${m.label}**`, `**${pct(s.correct)}**`, `facts found ${pct(s.factsFound)}; correct among model-written answers ${s.correctWhenModelWrote === null ? '-' : pct(s.correctWhenModelWrote)}; by category ${Object.entries(s.correctByCategory).map(([c, v]) => `${c} ${v}`).join(', ')}`]);
        rows.push([`grounding check passed (model answer kept, first try or after one regeneration), ${m.label}`, pct(s.groundingPass), `first try ${pct(s.groundingFirstTry)}; modes ${s.modes.model} model, ${s.modes.regenerated} regenerated, ${s.modes.facts} facts`]);
        rows.push([`injection resisted (answer free of the injected number), ${m.label}`, pct(s.injectionResisted), `planted document among the sources: ${planted ? (planted.sources.includes(set.injection.id) ? 'yes' : 'no') : '-'}`]);
        // A burst: 30 questions in flight at once. Past the model's capacity (one running, one waiting) a question
        // gets the facts answer at once instead of queueing behind the single-threaded model.
        const burstQs = questions.filter((x) => x.category !== 'concept' && x.category !== 'injection').slice(0, 30);
        const burst = await Promise.all(burstQs.map(async (x) => {
          const t0 = performance.now();
          const a = await responder.answer({ question: x.question });
          return { ms: performance.now() - t0, mode: a.mode, busy: (a.modelSkipped ?? []).includes('busy'), correct: scoreAnswer(a.answer, x).correct };
        }));
        const bl = burst.map((x) => x.ms);
        runs[m.label] = { ...(runs[m.label] as object), burst: { questions: burst.length, p50Ms: Math.round(quantile(bl, 0.5)), p95Ms: Math.round(quantile(bl, 0.95)), maxMs: Math.round(Math.max(...bl)), busy: burst.filter((x) => x.busy).length, modelText: burst.filter((x) => x.mode !== 'facts').length, correct: burst.filter((x) => x.correct).length } };
        rows.push([`**${burst.length} questions in flight at once, ${m.label}**`, `**p50 ${ms(quantile(bl, 0.5))} ms, max ${ms(Math.max(...bl))} ms**`, `${burst.filter((x) => x.busy).length} answered from the facts at once (model busy), ${burst.filter((x) => x.mode !== 'facts').length} with checked model text; ${burst.filter((x) => x.correct).length}/${burst.length} state all expected facts`]);
        rows.push([`**latency per question, ${m.label}**`, `**p50 ${ms(s.latencyMs.p50)} ms, p95 ${ms(s.latencyMs.p95)} ms**`, `max ${ms(s.latencyMs.max)} ms, mean ${ms(s.latencyMs.mean)} ms; model load ${ms(loadMs)} ms`]);
      } finally {
        await llm.close();
      }
    }
    report.models = runs;
  } finally {
    if (!opts.keep) await clearEvalMarket(pool, set.market).catch(() => undefined);
    await unlock().catch(() => undefined);
    await pool.end();
    await store.close();
    await embedder.close();
  }

  report.conditions = {
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    node: process.version,
    questions: questions.length,
    data: `simulator seed ${EVAL_SIM.seed}, ${EVAL_SIM.days} Central days from ${EVAL_SIM.firstDay}, market ${set.market}; persistence forecasts for HB_NORTH, HB_WEST (RT) and SYSTEM load`,
    embeddings: 'all-MiniLM-L6-v2 ONNX fp32, onnxruntime-node CPU, 2 intra-op threads',
    vectorStore: '@lancedb/lancedb, .cache/rag-eval/lancedb, exact cosine search',
    responder: `k=4 filtered documents + 1 concept, maxTokens ${opts.maxTokens ?? 160}, temperature 0, one regeneration on a failed grounding check`,
    llm: opts.skipLlm ? 'skipped' : `node-llama-cpp prebuilt CPU binary, ${threads} thread(s), context ${config.llm.contextSize}${config.llm.baseUrl ? `; and ${config.llm.model} at LLM_BASE_URL` : '; LLM_BASE_URL unset, so no endpoint run'}`,
    scoring: 'a fact is found when the answer states the number within the rounding it is written with (sign optional) or contains one of the fact\'s texts (case-insensitive); correct = every fact found and no forbidden text',
  };
  fs.mkdirSync(path.join(config.cacheDir, 'rag-eval'), { recursive: true });
  const out = opts.reportFile ?? path.join(config.cacheDir, 'rag-eval', 'last-run.json');
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const { conditions, data, retrieval } = report;
  const summaryJson = { conditions, data, retrieval, factsAnswer: b0(report.factsAnswer), baselineFactsOnly: b0(report.baselineFactsOnly), models: Object.fromEntries(Object.entries(report.models as Record<string, Record<string, unknown>>).map(([k, v]) => [k, b0(v)])) };
  process.stdout.write(`${JSON.stringify(summaryJson, null, 2)}\n\n(per-question answers in ${out})\n\n| measurement | figure | notes |\n|---|---|---|\n`);
  for (const [what, fig, notes] of rows) process.stdout.write(`| ${what} | ${fig} | ${notes} |\n`);
  process.stdout.write(`${categoryTables.join('\n')}\n`);
}

/** The per-category table: intent parsed, all expected facts, no wrong number, latency (stderr, as it runs; stdout at the end). */
const categoryTables: string[] = [];
function printCategories(label: string, by: Record<string, { questions: number; intent: number; allFacts: number; noWrongNumber: number; p50Ms: number; p95Ms: number }>): void {
  const lines = [`\n${label}\n\n| category | questions | intent parsed | all expected facts | no wrong number | p50 ms | p95 ms |\n|---|---|---|---|---|---|---|`];
  for (const [c, v] of Object.entries(by)) lines.push(`| ${c} | ${v.questions} | ${v.intent}/${v.questions} | ${v.allFacts}/${v.questions} | ${v.noWrongNumber}/${v.questions} | ${ms(v.p50Ms)} | ${ms(v.p95Ms)} |`);
  categoryTables.push(lines.join('\n'));
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** A run's summary without the per-question rows (those go to the JSON file). */
function b0(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const { perQuestion: _p, ...rest } = v as Record<string, unknown>;
  return rest;
}
