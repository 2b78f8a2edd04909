// The language model behind answers: one interface, two implementations. The embedded default runs
// SmolLM2-135M-Instruct (GGUF, fetched into .cache/models) on the CPU through node-llama-cpp's prebuilt
// binaries; LLM_BASE_URL switches to any OpenAI-compatible chat completions endpoint (LLM_API_KEY, never logged).
import path from 'node:path';
import type { Config } from '../platform/config.js';
import { resolveAdapter } from './adapters.js';
import { logger } from '../platform/logger.js';
import { ensureModel, modelPaths } from './models.js';
import { SdaError } from '../platform/errors.js';

const log = logger('llm');

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface CompleteOptions {
  /** Most tokens to generate (default 256). */
  maxTokens?: number;
  /** 0 = greedy, the same answer each time (default 0). */
  temperature?: number;
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  /** Generated tokens (counted by the model's tokenizer, or reported by the endpoint). */
  completionTokens: number;
  seconds: number;
  model: string;
}

export interface ChatModel {
  readonly name: string;
  complete(messages: readonly ChatMessage[], opts?: CompleteOptions): Promise<Completion>;
  close(): Promise<void>;
}

/** A language-model call that failed; LLM_UNREACHABLE and server-side LLM_HTTP are retriable, a bad request is not. */
export class LlmError extends SdaError<'LLM_BAD_REQUEST' | 'LLM_HTTP' | 'LLM_BAD_RESPONSE' | 'LLM_UNREACHABLE' | 'LLM_LOAD'> {}

/** Checks a conversation once, at the edge: non-empty, ends with the user's turn, system messages first. */
export function validateMessages(messages: readonly ChatMessage[]): void {
  if (messages.length === 0) throw new LlmError('LLM_BAD_REQUEST', 'no messages', false);
  let seenOther = false;
  for (const m of messages) {
    if (!['system', 'user', 'assistant'].includes(m.role)) throw new LlmError('LLM_BAD_REQUEST', `unknown role ${JSON.stringify(m.role)}`, false);
    if (typeof m.content !== 'string') throw new LlmError('LLM_BAD_REQUEST', 'message content must be text', false);
    if (m.role !== 'system') seenOther = true;
    else if (seenOther) throw new LlmError('LLM_BAD_REQUEST', 'system messages must come first', false);
  }
  if (messages[messages.length - 1]!.role !== 'user') throw new LlmError('LLM_BAD_REQUEST', 'the last message must be the user\'s', false);
}

function options(opts: CompleteOptions): { maxTokens: number; temperature: number } {
  const maxTokens = opts.maxTokens ?? 256;
  const temperature = opts.temperature ?? 0;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > 8_192) throw new LlmError('LLM_BAD_REQUEST', `maxTokens=${maxTokens}: expected 1-8192`, false);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) throw new LlmError('LLM_BAD_REQUEST', `temperature=${temperature}: expected 0-2`, false);
  return { maxTokens, temperature };
}

// ---------------------------------------------------------------------------------------------------------------
// Local: node-llama-cpp

type LlamaModule = typeof import('node-llama-cpp');
type LlamaModel = Awaited<ReturnType<Awaited<ReturnType<LlamaModule['getLlama']>>['loadModel']>>;
type LlamaContext = Awaited<ReturnType<LlamaModel['createContext']>>;

export interface LocalModelOptions {
  threads?: number;
  contextSize?: number;
  /** A LoRA adapter in GGUF (llama.cpp's convert_lora_to_gguf.py output) applied on top of the model; scale default 1. */
  adapter?: { path: string; scale?: number; label?: string };
}

export class LocalLlamaModel implements ChatModel {
  readonly name: string;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly lib: LlamaModule,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    modelPath: string,
    adapterLabel?: string,
  ) {
    this.name = `local:${modelPath.split('/').pop()}${adapterLabel ? `+lora:${adapterLabel}` : ''}`;
  }

  /**
   * Loads a GGUF file on the CPU with the package's prebuilt binary (never builds or downloads one), with a LoRA
   * adapter when `opts.adapter` names one (node-llama-cpp's createContext lora option). LLM_LOAD when either fails.
   */
  static async load(modelPath: string, opts: LocalModelOptions = {}): Promise<LocalLlamaModel> {
    const threads = opts.threads ?? 1;
    try {
      // Imported here, not at module load, so code that only embeds never loads llama.cpp.
      const lib = await import('node-llama-cpp');
      const llama = await lib.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: threads, logLevel: lib.LlamaLogLevel.error, progressLogs: false });
      const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
      const lora = opts.adapter ? { lora: { adapters: [{ filePath: opts.adapter.path, scale: opts.adapter.scale ?? 1 }] } } : {};
      const context = await model.createContext({ contextSize: opts.contextSize ?? 2_048, threads, sequences: 1, ...lora }).catch(async (err: unknown) => {
        await model.dispose();
        throw err;
      });
      return new LocalLlamaModel(lib, model, context, modelPath, opts.adapter ? (opts.adapter.label ?? opts.adapter.path.split('/').pop()) : undefined);
    } catch (err) {
      throw new LlmError('LLM_LOAD', `could not load ${modelPath} with node-llama-cpp: ${(err as Error).message}`, false, { cause: err });
    }
  }

  /** One generation at a time: the context has one sequence, cleared before each conversation. */
  complete(messages: readonly ChatMessage[], opts: CompleteOptions = {}): Promise<Completion> {
    const run = this.queue.then(() => this.generate(messages, opts));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async generate(messages: readonly ChatMessage[], opts: CompleteOptions): Promise<Completion> {
    validateMessages(messages);
    const { maxTokens, temperature } = options(opts);
    const started = performance.now();
    const sequence = this.context.getSequence();
    const session = new this.lib.LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      const history = messages.slice(0, -1).map((m) =>
        m.role === 'system' ? { type: 'system' as const, text: m.content } : m.role === 'user' ? { type: 'user' as const, text: m.content } : { type: 'model' as const, response: [m.content] },
      );
      session.setChatHistory(history);
      const text = await session.prompt(messages[messages.length - 1]!.content, { maxTokens, temperature, ...(opts.signal ? { signal: opts.signal } : {}) });
      return { text: text.trim(), completionTokens: this.model.tokenize(text).length, seconds: (performance.now() - started) / 1_000, model: this.name };
    } finally {
      session.dispose({ disposeSequence: false });
      sequence.dispose();
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Remote: an OpenAI-compatible /chat/completions endpoint

/** The generated text and token count from a chat completions response, or a LlmError saying what is wrong. */
export function parseChatCompletion(body: unknown): { text: string; completionTokens: number | undefined } {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices) || choices.length === 0) throw new LlmError('LLM_BAD_RESPONSE', 'the response has no choices', false);
  const content = (choices[0] as { message?: { content?: unknown } } | null)?.message?.content;
  if (typeof content !== 'string') throw new LlmError('LLM_BAD_RESPONSE', 'choices[0].message.content is not text', false);
  const tokens = (body as { usage?: { completion_tokens?: unknown } }).usage?.completion_tokens;
  return { text: content.trim(), completionTokens: typeof tokens === 'number' && Number.isInteger(tokens) && tokens >= 0 ? tokens : undefined };
}

export class OpenAiCompatibleModel implements ChatModel {
  readonly name: string;

  constructor(
    private readonly baseUrl: string,
    private readonly model: string,
    // Private and never part of an error or a log line.
    private readonly apiKey: string,
    private readonly timeoutMs = 60_000,
  ) {
    this.name = `openai-compatible:${model}`;
  }

  async complete(messages: readonly ChatMessage[], opts: CompleteOptions = {}): Promise<Completion> {
    validateMessages(messages);
    const { maxTokens, temperature } = options(opts);
    const url = `${this.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const started = performance.now();
    const signals = [AbortSignal.timeout(this.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}) },
        body: JSON.stringify({ model: this.model, messages: messages.map((m) => ({ role: m.role, content: m.content })), max_tokens: maxTokens, temperature }),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      throw new LlmError('LLM_UNREACHABLE', `POST ${url}: ${(err as Error).message}`, true, { cause: err });
    }
    if (!res.ok) {
      const detail = (await res.text().catch(() => '')).slice(0, 300);
      log.warn({ url, status: res.status }, 'chat completion failed');
      throw new LlmError('LLM_HTTP', `POST ${url}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`, res.status === 429 || res.status >= 500);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new LlmError('LLM_BAD_RESPONSE', `POST ${url}: the response is not JSON`, false, { cause: err });
    }
    const parsed = parseChatCompletion(body);
    // Without usage figures, a rough count (about 4 characters a token) keeps tokens/s meaningful.
    return { text: parsed.text, completionTokens: parsed.completionTokens ?? Math.ceil(parsed.text.length / 4), seconds: (performance.now() - started) / 1_000, model: this.name };
  }

  async close(): Promise<void> {}
}

/**
 * The configured model: the endpoint at LLM_BASE_URL if set, else the local GGUF (fetched first if missing), with the
 * LoRA adapter LLM_ADAPTER selects (rag/adapters.ts). An adapter that is missing or does not load falls back to the
 * base model with a warning (logged and passed to `progress`); it never fails the caller.
 */
export async function createChatModel(config: Config, progress?: (msg: string) => void): Promise<ChatModel> {
  if (config.llm.baseUrl) return new OpenAiCompatibleModel(config.llm.baseUrl, config.llm.model, config.llm.apiKey);
  await ensureModel(config, 'llm', progress);
  const base = { threads: config.llm.threads, contextSize: config.llm.contextSize };
  const gguf = modelPaths(config).llmGguf;
  const choice = resolveAdapter(config.llm.adapter ?? 'off', path.join(config.llm.lmDir ?? path.join(config.cacheDir, 'lm'), 'adapters'));
  const warn = (reason: string) => {
    log.warn({ adapter: config.llm.adapter, reason }, 'LoRA adapter not used; the base model answers');
    progress?.(`warning: ${reason}; using the base model`);
  };
  if (choice.kind === 'missing') warn(choice.reason);
  if (choice.kind !== 'adapter') return LocalLlamaModel.load(gguf, base);
  try {
    return await LocalLlamaModel.load(gguf, { ...base, adapter: { path: choice.path, label: choice.version ?? path.basename(choice.path) } });
  } catch (err) {
    warn(`adapter ${choice.path} did not load (${(err as Error).message})`);
    return LocalLlamaModel.load(gguf, base);
  }
}
