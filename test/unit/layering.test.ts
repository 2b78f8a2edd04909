// trace: D.layout
// Imports point down the layout (DESIGN.md "Layout", README "Layout"): platform/ and market/ at the bottom import
// nothing above them; a source (streams/) imports no sink, processor, model, responder or gateway; nothing but the
// CLI imports cli/ or deploy/; product code imports no benchmark or test. A guard over every relative import.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../platform/config.js';
import { sourceFiles } from './source-files.js';

/** The top-level folders each file's relative imports reach, from its `from '...'` and `import('...')` specifiers. */
export function importedFolders(file: string, text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    if (!target.startsWith('..')) out.add(target.split('/')[0]!);
  }
  return [...out].sort();
}

/** Per folder, the top-level folders it must not import (its own folder is always allowed). */
const FORBIDDEN: Record<string, string[]> = {
  platform: ['streams', 'processors', 'sinks', 'model', 'dispatch', 'rag', 'reports', 'gateway', 'cli', 'deploy', 'bench', 'test', 'trace'],
  market: ['streams', 'processors', 'sinks', 'model', 'dispatch', 'rag', 'reports', 'gateway', 'cli', 'deploy', 'bench', 'test', 'trace'],
  schemas: ['streams', 'processors', 'sinks', 'model', 'dispatch', 'rag', 'reports', 'gateway', 'cli', 'deploy', 'bench', 'test'],
  streams: ['processors', 'sinks', 'model', 'rag', 'reports', 'gateway', 'cli', 'deploy', 'bench', 'test'],
  sinks: ['processors', 'gateway', 'cli', 'deploy', 'bench', 'test'],
  processors: ['gateway', 'cli', 'deploy', 'bench', 'test'],
  model: ['gateway', 'cli', 'deploy', 'bench', 'test'],
  dispatch: ['streams', 'processors', 'sinks', 'rag', 'gateway', 'cli', 'deploy', 'bench', 'test'],
  rag: ['gateway', 'cli', 'deploy', 'bench', 'test'],
  reports: ['gateway', 'cli', 'deploy', 'bench', 'test'],
  gateway: ['cli', 'deploy', 'bench', 'test'],
};

describe('imports point down the layout', () => {
  it('the scanner resolves relative imports to top-level folders', () => {
    const text = "import { a } from '../../platform/kafka/client.js';\nimport x from './y.js';\nconst m = await import('../../cli/sda.js');\nimport p from 'node:path';";
    assert.deepEqual(importedFolders('processors/windower/processor.ts', text), ['cli', 'platform', 'processors']);
  });

  it('no module imports a folder above it', () => {
    const root = projectRoot();
    const files = sourceFiles(['test']);
    assert.ok(files.length > 100, `scanned ${files.length} files`);
    const offenders: string[] = [];
    for (const f of files) {
      const top = f.split('/')[0]!;
      const forbidden = FORBIDDEN[top];
      if (!forbidden) continue;
      for (const folder of importedFolders(f, fs.readFileSync(path.join(root, f), 'utf8'))) if (forbidden.includes(folder)) offenders.push(`${f} imports ${folder}/`);
    }
    assert.deepEqual(offenders, [], 'move the shared code down (platform/, market/) or the caller up');
  });
});
