// The handwritten concepts corpus (rag/corpus/*.md): each `## ` section is one MarketDocument of kind concept,
// its id the file and the heading, so editing a section replaces its document.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../platform/config.js';
import type { MarketDocument } from '../schemas/types.js';

export const CORPUS_DIR = path.join(projectRoot(), 'rag', 'corpus');

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/** The sections of one markdown file as concept documents; text before the first `## ` is left out. */
export function conceptDocuments(markdown: string, source: string, createdAt: number): MarketDocument[] {
  const docs: MarketDocument[] = [];
  const sections = markdown.split(/^## /m).slice(1);
  for (const section of sections) {
    const [heading = '', ...body] = section.split('\n');
    const text = body.join(' ').replace(/\s+/g, ' ').trim();
    if (!heading.trim() || !text) continue;
    docs.push({ id: `concept:${source}:${slug(heading)}`, kind: 'concept', seriesId: null, rangeStart: null, rangeEnd: null, text: `${heading.trim()}. ${text}`, numbers: {}, createdAt });
  }
  return docs;
}

export function loadCorpus(dir = CORPUS_DIR, createdAt = Date.now()): MarketDocument[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((f) => conceptDocuments(fs.readFileSync(path.join(dir, f), 'utf8'), path.basename(f, '.md'), createdAt));
}
