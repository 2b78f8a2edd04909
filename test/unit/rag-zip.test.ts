// trace: D.embeddings
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { ZipFormatError, extractZipEntry, listZip } from '../../rag/zip.js';

/** A zip archive written by hand (local headers, central directory, end record), one entry stored and one deflated. */
function buildZip(entries: Array<{ name: string; data: Buffer; deflate: boolean }>, comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate ? zlib.deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name);
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, cd, end, Buffer.from(comment)]);
}

describe('zip entry extraction', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sda-zip-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const big = Buffer.from('settlement point prices '.repeat(50_000));
  const small = Buffer.from('{"model":"WordPiece"}');
  const archive = path.join(dir, 'a.jar');
  fs.writeFileSync(archive, buildZip([{ name: 'dir/model.onnx', data: big, deflate: true }, { name: 'tokenizer.json', data: small, deflate: false }], 'a trailing comment'));

  it('lists the central directory', () => {
    assert.deepEqual(listZip(archive).map((e) => [e.name, e.size]), [['dir/model.onnx', big.length], ['tokenizer.json', small.length]]);
  });

  it('inflates a deflated entry and copies a stored one, returning size and sha256', async () => {
    const out = path.join(dir, 'model.onnx');
    const got = await extractZipEntry(archive, 'dir/model.onnx', out);
    assert.deepEqual(fs.readFileSync(out), big);
    assert.equal(got.size, big.length);
    assert.equal(got.sha256, createHash('sha256').update(big).digest('hex'));
    const tok = path.join(dir, 'tok.json');
    await extractZipEntry(archive, 'tokenizer.json', tok);
    assert.deepEqual(fs.readFileSync(tok), small);
    assert.equal(fs.existsSync(`${out}.partial`), false);
  });

  it('names a missing entry and a file that is not a zip', async () => {
    await assert.rejects(extractZipEntry(archive, 'nope.gguf', path.join(dir, 'x')), (err: unknown) => err instanceof ZipFormatError && /has no entry nope.gguf/.test(err.message));
    const notZip = path.join(dir, 'plain.txt');
    fs.writeFileSync(notZip, 'just text, no zip here');
    assert.throws(() => listZip(notZip), /no end-of-central-directory/);
  });
});
