// trace: D.vector-store
// The Qdrant backend's id mapping, error text and collection check, against a tiny local HTTP server that answers
// the handful of REST endpoints the store uses the way Qdrant's REST API does (JSON bodies {result, status, time};
// errors {"status": {"error": reason}}; point ids only UUIDs or unsigned integers, else 400). It is not Qdrant:
// the real-server contract tests run only where QDRANT_URL names one (test/integration/vector-store.test.ts).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { QDRANT_ID_NAMESPACE, QdrantStore, collectionMismatch, qdrantPointId, qdrantReason } from '../../rag/store/qdrant-store.js';
import { VectorStoreError, pointId, uuidV5 } from '../../rag/store/store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Point {
  id: string;
  vector: number[];
  payload: Record<string, unknown>;
}

/** Answers like Qdrant's REST API for: exists, get/create collection, payload index, upsert, retrieve, delete, count. */
class QdrantLike {
  server!: Server;
  url = '';
  collections = new Map<string, { size: number; distance: string; points: Map<string, Point> }>();
  requests: Array<{ method: string; path: string; body: unknown }> = [];

  async start() {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private send(res: ServerResponse, status: number, body: unknown) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private ok(res: ServerResponse, result: unknown) {
    this.send(res, 200, { result, status: 'ok', time: 0.0001 });
  }

  private error(res: ServerResponse, status: number, reason: string) {
    this.send(res, status, { status: { error: reason }, time: 0.0001 });
  }

  /** Qdrant's rule for point ids: an unsigned integer or a UUID. */
  private badId(ids: unknown[]): string | undefined {
    const bad = ids.find((id) => !(typeof id === 'number' && Number.isInteger(id) && id >= 0) && !(typeof id === 'string' && /^[0-9a-fA-F-]{32,36}$/.test(id)));
    return bad === undefined ? undefined : `Format error in JSON body: value ${String(bad)} is not a valid point ID, valid values are either an unsigned integer or a UUID`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let text = '';
    for await (const c of req) text += c;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? '', path: url.pathname, body });
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m) return this.error(res, 404, `Not found: ${url.pathname}`);
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? '';
    const c = this.collections.get(name);
    if (req.method === 'GET' && rest === '/exists') return this.ok(res, { exists: c !== undefined });
    if (req.method === 'PUT' && rest === '') {
      if (c) return this.error(res, 409, `Wrong input: Collection \`${name}\` already exists!`);
      const vectors = (body as { vectors: { size: number; distance: string } }).vectors;
      this.collections.set(name, { size: vectors.size, distance: vectors.distance, points: new Map() });
      return this.ok(res, true);
    }
    if (!c) return this.error(res, 404, `Not found: Collection \`${name}\` doesn't exist!`);
    if (req.method === 'GET' && rest === '') return this.ok(res, { status: 'green', config: { params: { vectors: { size: c.size, distance: c.distance } } }, points_count: c.points.size });
    if (req.method === 'PUT' && rest === '/index') return this.ok(res, { operation_id: 1, status: 'completed' });
    if (req.method === 'PUT' && rest === '/points') {
      const points = (body as { points: Point[] }).points;
      const bad = this.badId(points.map((p) => p.id));
      if (bad) return this.error(res, 400, bad);
      for (const p of points) {
        if (p.vector.length !== c.size) return this.error(res, 400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${p.vector.length}`);
        c.points.set(String(p.id).toLowerCase(), { ...p, id: String(p.id).toLowerCase() });
      }
      return this.ok(res, { operation_id: 2, status: 'completed' });
    }
    if (req.method === 'POST' && rest === '/points') {
      const ids = (body as { ids: unknown[] }).ids;
      const bad = this.badId(ids);
      if (bad) return this.error(res, 400, bad);
      return this.ok(res, ids.flatMap((id) => { const p = c.points.get(String(id).toLowerCase()); return p ? [p] : []; }));
    }
    if (req.method === 'POST' && rest === '/points/delete') {
      const ids = (body as { points: unknown[] }).points;
      const bad = this.badId(ids);
      if (bad) return this.error(res, 400, bad);
      for (const id of ids) c.points.delete(String(id).toLowerCase());
      return this.ok(res, { operation_id: 3, status: 'completed' });
    }
    if (req.method === 'POST' && rest === '/points/count') return this.ok(res, { count: c.points.size });
    return this.error(res, 404, `Not found: ${req.method} ${url.pathname}`);
  }
}

const unit = (dim: number, i: number) => Float32Array.from({ length: dim }, (_, j) => (j === i % dim ? 1 : 0));
const doc = (docId: string, dim: number, i: number) => ({ payload: { docId, kind: 'concept', series: null, timeStart: null, timeEnd: null, text: `text of ${docId}` }, vector: unit(dim, i) });

describe('Qdrant store: ids, errors and the collection check (against a local server that answers like Qdrant)', () => {
  const fake = new QdrantLike();
  before(() => fake.start());
  after(() => fake.stop());
  beforeEach(() => {
    fake.collections.clear();
    fake.requests = [];
  });

  it('qdrantPointId: a UUID stays itself (lower case); any other id maps to a fixed UUID v5', () => {
    const u = pointId('doc-1');
    assert.equal(qdrantPointId(u), u);
    assert.equal(qdrantPointId(u.toUpperCase()), u);
    const mapped = qdrantPointId('not-a-uuid');
    assert.match(mapped, UUID);
    assert.equal(mapped, uuidV5('not-a-uuid', QDRANT_ID_NAMESPACE));
    assert.equal(qdrantPointId('not-a-uuid'), mapped, 'deterministic');
    assert.notEqual(qdrantPointId('42'), qdrantPointId('43'));
    assert.equal(mapped[14], '5', 'version 5');
  });

  it('get and delete of ids that are not UUIDs are skipped as the interface says (Qdrant itself answers 400 to them)', async () => {
    const store = QdrantStore.open(fake.url, 'docs_ids');
    await store.ensureCollection(4);
    const a = pointId('a');
    await store.upsert([doc('a', 4, 0), doc('b', 4, 1)]);
    assert.equal(await store.count(), 2);
    const got = await store.get([a, 'nope', 'also not a uuid', a.toUpperCase()]);
    assert.deepEqual(got.map((g) => [g.id, g.payload.docId]), [[a, 'a']], 'the known id once; unknown ones skipped; the id handed back as stored');
    await store.delete(['nope', '12', a]);
    assert.equal(await store.count(), 1);
    const sent = fake.requests.filter((r) => r.path.endsWith('/points') || r.path.endsWith('/points/delete'));
    for (const r of sent) {
      const ids = ((r.body as { ids?: unknown[]; points?: Array<{ id: unknown } | unknown> }).ids ?? (r.body as { points: unknown[] }).points).map((p) => (typeof p === 'object' && p !== null ? (p as { id: unknown }).id : p));
      for (const id of ids) assert.match(String(id), UUID, 'only UUIDs go to Qdrant');
    }
    const stored = [...fake.collections.get('docs_ids')!.points.values()];
    assert.ok(stored.every((p) => typeof p.payload.pointKey === 'string'), 'the id as given is kept in the payload');
  });

  it("errors keep Qdrant's reason text, with the HTTP status", async () => {
    const store = QdrantStore.open(fake.url, 'docs_err');
    await store.ensureCollection(4);
    // Make the server refuse: the collection's vectors are now 3 wide, so the upsert of a 4-wide vector fails there.
    fake.collections.get('docs_err')!.size = 3;
    await assert.rejects(store.upsert([doc('x', 4, 0)]), (err: unknown) => {
      assert.ok(err instanceof VectorStoreError);
      assert.equal(err.code, 'VECTOR_BACKEND');
      assert.match(err.message, /Wrong input: Vector dimension error: expected dim: 3, got 4/);
      assert.match(err.message, /HTTP 400/);
      assert.equal(err.retriable, false);
      return true;
    });
    assert.equal(qdrantReason({ status: 400, data: { status: { error: 'Bad request: reason' } }, message: 'Bad Request' }), 'Bad request: reason');
    assert.equal(qdrantReason(new Error('fetch failed')), 'fetch failed');
  });

  it("an existing collection's distance and size are checked: a Euclid collection of the right size is refused", async () => {
    fake.collections.set('docs_euclid', { size: 4, distance: 'Euclid', points: new Map() });
    const store = QdrantStore.open(fake.url, 'docs_euclid');
    await assert.rejects(store.ensureCollection(4), (err: unknown) => {
      assert.ok(err instanceof VectorStoreError);
      assert.equal(err.code, 'VECTOR_DIM_MISMATCH');
      assert.match(err.message, /uses Euclid distance, not Cosine/);
      return true;
    });
    fake.collections.set('docs_small', { size: 3, distance: 'Cosine', points: new Map() });
    await assert.rejects(QdrantStore.open(fake.url, 'docs_small').ensureCollection(4), /holds vectors of 3, not 4/);
    assert.equal(collectionMismatch('c', { size: 4, distance: 'Cosine' }, 4), undefined);
    assert.match(collectionMismatch('c', { a: { size: 4, distance: 'Cosine' } }, 4)!, /named vectors/);
    assert.match(collectionMismatch('c', { size: 4, distance: 'Dot' }, 4)!, /Dot distance/);
    // A new collection is created with cosine distance.
    await QdrantStore.open(fake.url, 'docs_new').ensureCollection(4);
    assert.equal(fake.collections.get('docs_new')!.distance, 'Cosine');
  });
});
