// `sda bench rag`: the retrieval path's costs on this machine. Embedding latency (one sentence; a batch of
// summary-sized texts), vector search (LanceDB, exact, over N synthetic documents, with and without a filter),
// and the local language model's prompt and generation speed per thread count. The baseline for embeddings is
// the bare ONNX Runtime run on pre-tokenised input, measured in the same run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { createEmbedder } from '../rag/embeddings.js';
import { LocalLlamaModel } from '../rag/llm.js';
import { ensureModel, modelPaths } from '../rag/models.js';
import { LanceDbStore } from '../rag/store/lancedb-store.js';

export interface RagBenchOptions {
  documents: number;
  repeats: number;
  threads: number[];
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const summary = (i: number) => `HB_${['NORTH', 'SOUTH', 'WEST', 'HOUSTON'][i % 4]} real-time price (ERCOT) on 2024-07-${String((i % 28) + 1).padStart(2, '0')} (Central): average ${(20 + (i % 37)).toFixed(2)} $/MWh, low ${(i % 13).toFixed(2)} at 04:15 CT, high ${(60 + (i % 91)).toFixed(2)} at 18:30 CT, from 96 intervals in 24 hours.`;

export async function runRagBench(config: Config, opts: RagBenchOptions): Promise<void> {
  const rows: Array<[string, string, string, string]> = [];
  const report: Record<string, unknown> = {};
  const fetchStart = performance.now();
  const fetched = await Promise.all([ensureModel(config, 'embeddings'), ensureModel(config, 'llm')]);
  report.modelFetch = fetched.map((f) => ({ id: f.id, fetched: f.fetched, seconds: Number(((performance.now() - fetchStart) / 1_000).toFixed(1)), files: f.files.map((x) => ({ file: path.basename(x.file), bytes: x.size })) }));

  // Embeddings
  const embedder = await createEmbedder(config, { threads: 2 });
  const sentence = 'Why did real-time prices at the West hub go negative last night?';
  await embedder.embed([sentence]);
  const single = await timed(opts.repeats, () => embedder.embed([sentence]));
  rows.push(['embed 1 question (tokenise + ONNX + pool)', quantile(single, 0.5).toFixed(1), quantile(single, 0.99).toFixed(1), `${(1_000 / quantile(single, 0.5)).toFixed(0)} texts/s`]);
  const batch = Array.from({ length: 64 }, (_, i) => summary(i));
  const batched = await timed(Math.max(3, Math.floor(opts.repeats / 10)), () => embedder.embed(batch));
  rows.push(['embed batch of 64 summaries', quantile(batched, 0.5).toFixed(1), quantile(batched, 0.99).toFixed(1), `${((64 * 1_000) / quantile(batched, 0.5)).toFixed(0)} texts/s`]);

  // Vector search
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-bench-rag-'));
  try {
    const store = await LanceDbStore.open(dir, 'bench');
    await store.ensureCollection(embedder.dim);
    const texts = Array.from({ length: opts.documents }, (_, i) => summary(i));
    const t0 = performance.now();
    const vectors = await embedder.embed(texts);
    const embedMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < texts.length; i += 1_000) {
      await store.upsert(texts.slice(i, i + 1_000).map((text, j) => ({ payload: { docId: `bench:${i + j}`, kind: 'daily-summary', series: `HB_${['NORTH', 'SOUTH', 'WEST', 'HOUSTON'][(i + j) % 4]}`, timeStart: (i + j) * 3_600_000, timeEnd: (i + j + 24) * 3_600_000, text }, vector: vectors[i + j]! })));
    }
    const upsertMs = performance.now() - t1;
    rows.push([`index ${opts.documents} documents: embed`, '', '', `${((opts.documents * 1_000) / embedMs).toFixed(0)} docs/s`]);
    rows.push([`index ${opts.documents} documents: LanceDB upsert (merge by id)`, '', '', `${((opts.documents * 1_000) / upsertMs).toFixed(0)} docs/s`]);
    const [q] = await embedder.embed([sentence]);
    await store.search(q!, 5);
    const plain = await timed(opts.repeats, () => store.search(q!, 5));
    rows.push([`LanceDB search k=5 over ${opts.documents} (exact, cosine)`, quantile(plain, 0.5).toFixed(1), quantile(plain, 0.99).toFixed(1), '']);
    const filtered = await timed(opts.repeats, () => store.search(q!, 5, { series: 'HB_WEST', from: 0, to: 1_000 * 3_600_000 }));
    rows.push(['LanceDB search k=5, series + period filter', quantile(filtered, 0.5).toFixed(1), quantile(filtered, 0.99).toFixed(1), '']);
    await store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await embedder.close();

  // Local language model
  const prompt = `${Array.from({ length: 5 }, (_, i) => `<<<DATA doc-${i + 1}>>>\n${summary(i)}\n<<<END DATA>>>`).join('\n')}\n\nQuestion: What was the average real-time price at HB_NORTH on 2024-07-01?`;
  for (const threads of opts.threads) {
    const model = await LocalLlamaModel.load(modelPaths(config).llmGguf, { threads, contextSize: config.llm.contextSize });
    await model.complete([{ role: 'user', content: 'Hi' }], { maxTokens: 2 });
    const promptOnly = await model.complete([{ role: 'user', content: prompt }], { maxTokens: 1 });
    const gen = await model.complete([{ role: 'user', content: 'Write four sentences about wind power in West Texas.' }], { maxTokens: 128 });
    const full = await model.complete([{ role: 'user', content: prompt }], { maxTokens: 64 });
    rows.push([`SmolLM2-135M Q4_1, ${threads} thread(s): prompt of 5 documents (first token)`, (promptOnly.seconds * 1_000).toFixed(0), '', '']);
    rows.push([`SmolLM2-135M Q4_1, ${threads} thread(s): generation, ${gen.completionTokens} tokens after a short prompt`, (gen.seconds * 1_000).toFixed(0), '', `${(gen.completionTokens / gen.seconds).toFixed(1)} tokens/s`]);
    rows.push([`SmolLM2-135M Q4_1, ${threads} thread(s): answer of ${full.completionTokens} tokens to the 5-document prompt`, (full.seconds * 1_000).toFixed(0), '', '']);
    await model.close();
  }

  report.conditions = {
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    node: process.version,
    embeddings: 'all-MiniLM-L6-v2 ONNX fp32, onnxruntime-node 1.30 CPU, 2 intra-op threads, batches of 16 sorted by length',
    vectorStore: '@lancedb/lancedb 0.31.0, local directory, no ANN index (exact search)',
    llm: `node-llama-cpp 3.21.1 prebuilt CPU binary, context ${config.llm.contextSize}, greedy`,
    documents: opts.documents,
    repeats: opts.repeats,
  };
  report.figures = rows.map(([what, p50, p99, rate]) => ({ what, p50Ms: p50 || null, p99Ms: p99 || null, rate: rate || null }));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n| measurement | p50 ms | p99 ms | rate |\n|---|---|---|---|\n`);
  for (const [what, p50, p99, rate] of rows) process.stdout.write(`| ${what} | ${p50} | ${p99} | ${rate} |\n`);
}
