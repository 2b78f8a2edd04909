// The demo's fine-tuned model part (issue 15): the newest adapter in the registry, if one was made (`sda lm finetune`;
// training is never run here, it takes tens of minutes on 2 cores), its recorded figures, and one dispatch question
// answered with the base model and with the adapter: the exact facts first, then each model's words, kept only when
// the product's check passes them. Prints; never fails the demo.
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import { lmPaths } from '../model/lm/finetune.js';
import { listAdapters } from '../rag/adapters.js';
import { checkModelText } from '../rag/check.js';
import { LocalLlamaModel } from '../rag/llm.js';
import { modelPaths } from '../rag/models.js';
import { Responder, buildMessages, factsStatement } from '../rag/responder.js';

/**
 * Prints the adapter's metadata and a base-vs-tuned answer to `question` over `market` (facts from PostgreSQL).
 * Resolves with the version shown, or null when the registry is empty (it then says how to make one).
 */
export async function demoLmStep(config: Config, pool: pg.Pool, print: (line: string) => void, question = 'What was the average real-time price at HB_NORTH yesterday?', market = 'ERCOT'): Promise<string | null> {
  const registry = lmPaths(config).adaptersDir;
  const latest = listAdapters(registry).pop();
  if (!latest) {
    print(`     fine-tuned model: no adapter in ${registry} yet; \`./sda lm finetune\` makes one (LoRA on 115 generated Q&A pairs, about 23 minutes on 2 shared cores), then LLM_ADAPTER=latest serves it`);
    return null;
  }
  const m = latest.metadata;
  if (m) {
    const p = m.perplexity;
    print(`     fine-tuned model ${latest.version} (${m.created.slice(0, 16)}): ${m.data.trainPairs} train / ${m.data.heldoutPairs} held-out pairs, ${m.training.steps} LoRA steps, loss ${m.training.lossFirst.toFixed(3)} -> ${m.training.lossLast.toFixed(3)}${p ? `, held-out perplexity ${p.base.perplexity.toFixed(3)} (base) -> ${p.tuned.perplexity.toFixed(3)} (tuned)` : ''}`);
  }
  try {
    const unused = { embedder: {} as never, store: {} as never, llm: {} as never };
    const facts = await new Responder({ ...unused, pool, market }).factsOnly({ question });
    if (facts.facts.length === 0) {
      print(`     (no facts for "${question}" in market ${market}; skipping the side-by-side answer)`);
      return latest.version;
    }
    print(`     Q: ${question}`);
    print(`     ${factsStatement(facts.facts)}`);
    const messages = buildMessages(question, [], facts.facts);
    const values = facts.facts.flatMap((f) => f.values);
    for (const [label, adapter] of [['base', undefined], [`tuned ${latest.version}`, { path: latest.gguf, label: latest.version }]] as const) {
      const model = await LocalLlamaModel.load(modelPaths(config).llmGguf, { threads: config.llm.threads, contextSize: config.llm.contextSize, ...(adapter ? { adapter } : {}) });
      try {
        const c = await model.complete(messages, { maxTokens: 120, temperature: 0 });
        const check = checkModelText(c.text, values, { periodTexts: facts.facts.map((f) => f.text) });
        print(`     ${label} (${c.seconds.toFixed(1)} s): ${c.text.replace(/\s+/g, ' ')}`);
        print(`       -> ${check.kept ? 'kept: every number matches a fact' : `dropped by the check (${check.reasons.join(', ')}${check.wrong.length ? `: ${check.wrong.join(', ')}` : ''})`}`);
      } finally {
        await model.close();
      }
    }
  } catch (err) {
    print(`     fine-tuned model: side-by-side answer not shown (${(err as Error).message})`);
  }
  return latest.version;
}
