// The project's TypeScript sources as the guard tests scan them (topic names, one name per market concept, config
// only from platform/config.ts, the error base): one walk, so every guard sees the same files.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../platform/config.js';

/**
 * Every `.ts` file (not `.d.ts`) under the repository root, as root-relative paths with `/`, sorted; dot folders,
 * node_modules and dist are never read, and the top-level folders in `excludeTop` (e.g. `test`, `bench`) are left out.
 */
export function sourceFiles(excludeTop: readonly string[]): string[] {
  const root = projectRoot();
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'dist') continue;
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (!excludeTop.includes(rel)) walk(full);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}
