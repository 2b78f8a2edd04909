// llama.cpp's own OpenAI-compatible server for the tests (issue 14), built once from the llama.cpp source that
// node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle, a git bundle) and cached under
// .cache/llama-server/: only the llama-server target, Release, no CURL, static, portable CPU code (GGML_NATIVE=OFF),
// at most 2 parallel jobs. Measured on the 2-core development machine: see bench/RESULTS.md (issue 14).
// startLlamaServer serves a GGUF on loopback and resolves when /health answers 200.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../platform/config.js';

const run = promisify(execFile);

export const LLAMA_SERVER_DIR = path.join(projectRoot(), '.cache', 'llama-server');
export const LLAMA_SERVER_BIN = path.join(LLAMA_SERVER_DIR, 'build', 'bin', 'llama-server');
const BUNDLE = path.join(projectRoot(), 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');

/**
 * The llama-server binary, built first when missing (minutes on 2 cores; progress to `log`). Set
 * SDA_LLAMA_SERVER_BUILD=0 to never build (then null when missing). Errors name the log file to read.
 */
export async function ensureLlamaServer(log: (msg: string) => void = () => {}): Promise<string | null> {
  if (fs.existsSync(LLAMA_SERVER_BIN)) return LLAMA_SERVER_BIN;
  if (process.env.SDA_LLAMA_SERVER_BUILD === '0') return null;
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm ci (node-llama-cpp ships llama.cpp's source there)`);
  fs.mkdirSync(LLAMA_SERVER_DIR, { recursive: true });
  const src = path.join(LLAMA_SERVER_DIR, 'src');
  const started = Date.now();
  if (!fs.existsSync(path.join(src, 'CMakeLists.txt'))) {
    log(`cloning llama.cpp from ${BUNDLE}`);
    fs.rmSync(src, { recursive: true, force: true });
    await run('git', ['clone', '--quiet', BUNDLE, src]);
  }
  const logFile = path.join(LLAMA_SERVER_DIR, 'build.log');
  log(`building llama-server (Release, no CURL, -j2; about 15-25 min on 2 cores; log ${logFile})`);
  const build = path.join(LLAMA_SERVER_DIR, 'build');
  try {
    await run('cmake', ['-S', src, '-B', build, '-DCMAKE_BUILD_TYPE=Release', '-DLLAMA_CURL=OFF', '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_EXAMPLES=OFF', '-DLLAMA_BUILD_SERVER=ON', '-DGGML_NATIVE=OFF', '-DBUILD_SHARED_LIBS=OFF'], { maxBuffer: 64 << 20 });
    const { stdout } = await run('cmake', ['--build', build, '--target', 'llama-server', '-j2'], { maxBuffer: 256 << 20 });
    fs.writeFileSync(logFile, stdout);
  } catch (err) {
    fs.writeFileSync(logFile, `${(err as { stdout?: string }).stdout ?? ''}\n${(err as { stderr?: string }).stderr ?? ''}`);
    throw new Error(`building llama-server failed; see ${logFile}`, { cause: err });
  }
  log(`llama-server built in ${((Date.now() - started) / 1_000).toFixed(0)} s`);
  return LLAMA_SERVER_BIN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LlamaServer {
  /** The OpenAI-compatible base URL (…/v1). */
  baseUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Serves `gguf` on 127.0.0.1 (one slot, `threads` threads) and waits for GET /health to answer 200. */
export async function startLlamaServer(bin: string, gguf: string, opts: { threads?: number; contextSize?: number; timeoutMs?: number } = {}): Promise<LlamaServer> {
  const port = await freePort();
  const child = spawn(bin, ['-m', gguf, '--host', '127.0.0.1', '--port', String(port), '-c', String(opts.contextSize ?? 2_048), '-t', String(opts.threads ?? 1), '-np', '1', '--no-webui', '--no-warmup'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const root = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${root}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`llama-server did not become healthy in ${opts.timeoutMs ?? 60_000} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { baseUrl: `${root}/v1`, process: child, stop };
}
