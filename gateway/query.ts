// GET/POST /query: questions for the RAG responder. The responder (issue 7) plugs in as a QueryService; until one is
// injected the route answers 503 with a JSON reason, and the dashboard's chat shows it.
import express, { type Request, type Response } from 'express';
import { logger } from '../platform/logger.js';
import { SERIES_PARAM } from './forecast-params.js';
import { type RouteSchema, validated } from './validate.js';

const log = logger('query');

export interface QuerySource {
  /** What the source is: a document id, a table and key, a URL. */
  id: string;
  title?: string;
  excerpt?: string;
  score?: number;
}

export interface QueryAnswer {
  answer: string;
  sources: QuerySource[];
}

export interface QueryQuestion {
  question: string;
  /** A series the question is about, when the asker picked one. */
  series?: string;
}

/** What the RAG responder implements. */
export interface QueryService {
  answer(q: QueryQuestion, signal: AbortSignal): Promise<QueryAnswer>;
  /**
   * The same answer in two steps (issue 14): `onFacts` gets the facts answer as soon as it is computed, then the
   * promise resolves with the final answer (the model's checked phrasing after the facts, or the facts alone).
   * Used for `Accept: text/event-stream` requests; without it they get one `answer` event.
   */
  answerStream?(q: QueryQuestion, signal: AbortSignal, onFacts: (a: QueryAnswer) => void): Promise<QueryAnswer>;
}

export const MAX_QUESTION_CHARS = 2_000;
/** How long /query waits for the responder. */
export const QUERY_TIMEOUT_MS = 30_000;

const questionParams = {
  q: { type: 'string', description: 'The question (not only white space).', required: true, minLength: 1, maxLength: MAX_QUESTION_CHARS, notBlank: true, example: 'Why did HB_WEST go negative last night?' },
  series: { ...SERIES_PARAM, description: `A series the question is about. ${SERIES_PARAM.description}` },
} as const;

const answerResponses = {
  '200': { description: 'The answer with its sources. With Accept: text/event-stream, server-sent events: facts (the facts answer, at once), answer (the final answer, with the model\'s checked phrasing when kept), done.' },
  '400': { description: 'A parameter is missing, unknown or out of bounds.' },
  '503': { description: 'The query service is not available (the RAG responder is not installed).' },
  '504': { description: 'The responder did not answer in time.' },
};

export const QUERY_ROUTES = {
  get: { method: 'get', path: '/query', summary: 'Ask a dispatch question (RAG): the answer and its sources.', tags: ['query'], query: questionParams, responses: answerResponses },
  post: {
    method: 'post',
    path: '/query',
    summary: 'Ask a dispatch question (RAG) with a JSON body {q, series?}: the answer and its sources.',
    tags: ['query'],
    body: questionParams,
    responses: { ...answerResponses, '413': { description: 'The body is larger than the limit.' } },
  },
} as const satisfies Record<string, RouteSchema>;

export const QUERY_UNAVAILABLE = { error: 'query service unavailable', detail: 'this gateway runs without the responder (started with --no-rag or without a query service); start it with `sda serve` to answer questions' } as const;

/** Whether the client asked for server-sent events (Accept: text/event-stream). */
function wantsEventStream(req: Request): boolean {
  return /\btext\/event-stream\b/i.test(req.get('accept') ?? '');
}

/**
 * /query as server-sent events: `event: facts` with the facts answer as soon as it is computed, then `event: answer`
 * with the final answer (the model's checked phrasing after the facts, or the facts again when it was dropped), then
 * `event: done`. A failure after the stream has started is `event: error` with {error, detail}.
 */
async function streamAnswer(service: QueryService, q: QueryQuestion, res: Response, signal: AbortSignal, timeoutMs: number): Promise<void> {
  res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const send = (event: string, data: unknown) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  try {
    const final = service.answerStream ? await service.answerStream(q, signal, (a) => send('facts', a)) : await service.answer(q, signal);
    send('answer', final);
    send('done', {});
  } catch (err) {
    send('error', signal.aborted
      ? { error: 'query_timeout', detail: `the responder did not answer within ${timeoutMs / 1_000} s; try a narrower question or again shortly` }
      : { error: 'internal', detail: 'the responder failed; see the gateway log' });
    if (!signal.aborted) log.error({ err: (err as Error).message }, 'streamed answer failed');
  } finally {
    res.end();
  }
}

export function queryRouter(service: QueryService | null, opts: { timeoutMs?: number } = {}): express.Router {
  const router = express.Router();
  const answer = async (q: QueryQuestion, res: Response) => {
    if (!service) {
      res.status(503).json(QUERY_UNAVAILABLE);
      return;
    }
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    if (wantsEventStream(res.req)) return streamAnswer(service, q, res, signal, timeoutMs);
    try {
      res.json(await service.answer(q, signal));
    } catch (err) {
      // The responder ran out of time: a JSON 504 saying so (other failures go to the gateway's error handler).
      if (!signal.aborted) throw err;
      res.status(504).json({ error: 'query_timeout', detail: `the responder did not answer within ${timeoutMs / 1_000} s; try a narrower question or again shortly` });
    }
  };
  router.get(QUERY_ROUTES.get.path, validated(QUERY_ROUTES.get), async (_req: Request, res: Response) => {
    const p = res.locals.query as { q: string; series?: string };
    await answer({ question: p.q, series: p.series }, res);
  });
  router.post(QUERY_ROUTES.post.path, validated(QUERY_ROUTES.post), async (_req: Request, res: Response) => {
    const p = res.locals.body as { q: string; series?: string };
    await answer({ question: p.q, series: p.series }, res);
  });
  return router;
}
