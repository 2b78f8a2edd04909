// Picks the vector store from the configuration: Qdrant when QDRANT_URL is set, else LanceDB in VECTOR_DIR.
import type { Config } from '../../platform/config.js';
import { LanceDbStore } from './lancedb-store.js';
import { QdrantStore } from './qdrant-store.js';
import type { VectorStore } from './store.js';

export async function openVectorStore(config: Config, opts: { collection?: string; dir?: string } = {}): Promise<VectorStore> {
  const collection = opts.collection ?? config.vector.collection;
  if (config.vector.qdrantUrl) return QdrantStore.open(config.vector.qdrantUrl, collection, config.vector.qdrantApiKey || undefined);
  return LanceDbStore.open(opts.dir ?? config.vector.dir, collection);
}
