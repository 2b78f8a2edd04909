// trace: 3.5, D.forecaster
// `sda train promote VERSION` (model/registry.ts promoteVersion, cli/train.ts): in a temporary registry of seeded
// random models (processors/forecaster/random-model.ts), promote moves `current` to a registered version and refuses
// an unknown version, metadata that does not validate or names another version, and a missing ONNX file, each with
// an error naming what is wrong and listing versions, leaving `current` as it was. The CLI is run once each way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MODEL_FILE, METADATA_FILE } from '../../model/contract.js';
import { ModelError } from '../../model/errors.js';
import { metricsSummaryLine } from '../../model/evaluate.js';
import { CURRENT_FILE, promoteVersion, readCurrent } from '../../model/registry.js';
import { projectRoot } from '../../platform/config.js';
import { writeRandomModel } from '../../processors/forecaster/random-model.js';

const SDA = join(projectRoot(), 'dist', 'cli', 'sda.js');
const OLD = 'v1-old';
const NEW = 'v2-new';

let root: string;

/** Edits a version's metadata.json in place. */
async function editMetadata(version: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  const path = join(root, version, METADATA_FILE);
  const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(m);
  await writeFile(path, JSON.stringify(m));
}

/** Asserts promoteVersion(version) throws ModelError `code` with a message matching each of `parts`, and `current` stays byte-for-byte as it was. */
async function refuses(version: string, code: string, parts: RegExp[]): Promise<void> {
  const before = await readFile(join(root, CURRENT_FILE), 'utf8');
  await assert.rejects(promoteVersion(root, version), (e: unknown) => {
    assert.ok(e instanceof ModelError, `not a ModelError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of parts) assert.match(e.message, p);
    return true;
  });
  assert.equal(await readFile(join(root, CURRENT_FILE), 'utf8'), before, 'current unchanged');
}

describe('sda train promote', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sda-promote-'));
    await writeRandomModel(root, { version: OLD, seed: 1 }, true);
    await writeRandomModel(root, { version: NEW, seed: 2 }, false);
    // Hold-out scores as training stores them (model/evaluate.ts metricsRecord): the line promote prints.
    await editMetadata(NEW, (m) => {
      m.metrics = { rmse: 9.5, rmse_naive_last: 12, rmse_ridge: 9, n_holdout: 480 };
    });
    for (const [v, seed] of [['v3-bad-meta', 3], ['v4-no-onnx', 4], ['v5-renamed', 5]] as const) await writeRandomModel(root, { version: v, seed }, false);
    await editMetadata('v3-bad-meta', (m) => {
      delete m.scaler;
    });
    await rm(join(root, 'v4-no-onnx', MODEL_FILE));
    await editMetadata('v5-renamed', (m) => {
      m.version = 'v5-original';
    });
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('refuses an unknown version, listing the versions there', async () => {
    assert.equal(await readCurrent(root), OLD);
    await refuses('v9-missing', 'MODEL_NOT_FOUND', [/no version v9-missing/, /v2-new, v1-old/]);
    await refuses('../v1-old', 'MODEL_VERSION_INVALID', [/not a model version name/]);
  });

  it('refuses metadata that does not validate, naming the problem', async () => {
    await refuses('v3-bad-meta', 'MODEL_METADATA_INVALID', [/cannot promote v3-bad-meta/, /scaler must hold/, /promote another version/]);
    await refuses('v5-renamed', 'MODEL_METADATA_INVALID', [/names version "v5-original"/]);
  });

  it('refuses a version whose ONNX file is missing', async () => {
    await refuses('v4-no-onnx', 'MODEL_FILE_INVALID', [/v4-no-onnx\/model\.onnx/, /is missing/]);
  });

  it('moves current to the version and reports the previous one', async () => {
    const p = await promoteVersion(root, NEW);
    assert.deepEqual([p.previous, p.entry.version, await readCurrent(root)], [OLD, NEW, NEW]);
    const back = await promoteVersion(root, OLD);
    assert.deepEqual([back.previous, await readCurrent(root)], [NEW, OLD]);
  });

  it('replaces a hand-written current that is not a version name', async () => {
    await writeFile(join(root, CURRENT_FILE), 'not a version!\n');
    const p = await promoteVersion(root, OLD);
    assert.deepEqual([p.previous, p.previousInvalid, await readCurrent(root)], [null, 'not a version!', OLD]);
  });

  it('the hold-out line: model against naive and ridge from stored metrics, null without them', () => {
    assert.equal(metricsSummaryLine({}, 'USD/MWh', 36), null);
    assert.equal(metricsSummaryLine({ rmse: 1, rmse_naive_last: 2 }, 'USD/MWh', 36), null);
    assert.equal(
      metricsSummaryLine({ rmse: 9.5, rmse_naive_last: 12, rmse_ridge: 9, n_holdout: 480 }, 'USD/MWh', 36),
      'model RMSE 9.50 USD/MWh: beats naive last hour (12.00, -20.8%), does NOT beat ridge (9.00, gap 5.6%); 480 points, horizon 36',
    );
  });

  it('the CLI: prints previous, new and the hold-out line; an unknown version exits 1 naming it', () => {
    const ok = spawnSync(process.execPath, [SDA, 'train', 'promote', NEW, '--registry', root], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`previous current: ${OLD}\\n`));
    assert.match(ok.stdout, new RegExp(`current → ${NEW}\\n`));
    assert.match(ok.stdout, /hold-out: model RMSE 9\.50 USD\/MWh: beats naive last hour/);
    // It loses to ridge (9.50 vs 9.00): promoted all the same (a roll-back is the user's call), with a warning and the way back.
    assert.equal(ok.stderr, `warning: ${NEW} (hold-out RMSE 9.50) does not beat ridge (9.00); to go back: sda train promote ${OLD} --registry ${root}\n`);
    // --registry before the subcommand name (commander gives it to `sda train`).
    const bad = spawnSync(process.execPath, [SDA, 'train', '--registry', root, 'promote', 'v9-missing'], { encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stderr, /cannot promote v9-missing: no version v9-missing in .*versions there, newest first: v5-renamed, v4-no-onnx, v3-bad-meta, v2-new, v1-old/);
    assert.equal(bad.stdout, '');
  });

  it('the CLI refuses a version whose ONNX file does not load as the forecaster loads it; current unchanged', async () => {
    await writeRandomModel(root, { version: 'v6-corrupt', seed: 6 }, false);
    await writeFile(join(root, 'v6-corrupt', MODEL_FILE), 'not an onnx model');
    const before = await readFile(join(root, CURRENT_FILE), 'utf8');
    const r = spawnSync(process.execPath, [SDA, 'train', 'promote', 'v6-corrupt', '--registry', root], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /cannot promote v6-corrupt: .*model\.onnx does not load as the forecaster loads it/);
    assert.equal(await readFile(join(root, CURRENT_FILE), 'utf8'), before, 'current unchanged');
    // The library call with a loader refuses it the same way.
    await assert.rejects(promoteVersion(root, 'v6-corrupt', async () => {
      throw new Error('Protobuf parsing failed');
    }), (e: unknown) => e instanceof ModelError && e.code === 'MODEL_FILE_INVALID' && /Protobuf parsing failed/.test(e.message));
  });
});
