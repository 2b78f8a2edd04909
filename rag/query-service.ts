// The responder as the gateway's QueryService (gateway/query.ts): built on the first question, so the gateway
// starts without loading models, and shared by every question after that.
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import { createPool } from '../platform/postgres/pool.js';
import { openVectorStore } from './store/open-store.js';
import type { VectorStore } from './store/store.js';
import { type OnnxEmbedder, createEmbedder } from './embeddings.js';
import { type ChatModel, createChatModel } from './llm.js';
import { Responder, type ResponderAnswer } from './responder.js';

const log = logger('rag-query');

interface Parts {
  responder: Responder;
  embedder: OnnxEmbedder;
  store: VectorStore;
  llm: ChatModel;
  pool: pg.Pool;
}

export interface RagQueryService {
  answer(q: { question: string; series?: string }, signal: AbortSignal): Promise<ResponderAnswer>;
  /** The facts answer to `onFacts` as soon as it is computed, then the final answer (the gateway streams both). */
  answerStream(q: { question: string; series?: string }, signal: AbortSignal, onFacts: (a: ResponderAnswer) => void): Promise<ResponderAnswer>;
  close(): Promise<void>;
}

export function createRagQueryService(config: Config): RagQueryService {
  let parts: Promise<Parts> | undefined;
  const build = async (): Promise<Parts> => {
    const started = performance.now();
    const [embedder, store, llm] = await Promise.all([createEmbedder(config), openVectorStore(config), createChatModel(config)]);
    await store.ensureCollection(embedder.dim);
    const pool = createPool(config, 2);
    log.info({ backend: store.backend, collection: store.collection, llm: llm.name, ms: Math.round(performance.now() - started) }, 'responder ready');
    return { responder: new Responder({ embedder, store, llm, pool }), embedder, store, llm, pool };
  };
  // A failed start is not cached: the next question tries again.
  const ready = () => (parts ??= build().catch((err: unknown) => {
    parts = undefined;
    throw err;
  }));
  return {
    async answer(q, signal) {
      return (await ready()).responder.answer(q, signal);
    },
    async answerStream(q, signal, onFacts) {
      return (await ready()).responder.answer(q, signal, { onFacts });
    },
    async close() {
      const p = await parts?.catch(() => undefined);
      if (!p) return;
      await Promise.allSettled([p.llm.close(), p.embedder.close(), p.store.close(), p.pool.end()]);
    },
  };
}
