// Reads one entry out of a zip archive (a jar, a wheel) without unpacking the rest: the central directory gives
// the entry's offset and sizes, the local header its data start, and the body is inflated as a stream.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { SdaError } from '../platform/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** A ZIP file this reader cannot read (code ZIP_FORMAT, not retriable); the message starts with the file. */
export class ZipFormatError extends SdaError<'ZIP_FORMAT'> {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super('ZIP_FORMAT', `${file}: ${message}`);
  }
}

/** The central directory entries, parsed from the end-of-central-directory record (no ZIP64: entries under 4 GiB). */
export function parseCentralDirectory(file: string, tail: Buffer, tailOffset: number, readAt: (offset: number, length: number) => Buffer): ZipEntry[] {
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError(file, 'no end-of-central-directory record (not a zip, or truncated)');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw new ZipFormatError(file, 'ZIP64 archives are not supported');
  const cd = cdOffset >= tailOffset && cdOffset + cdSize <= tailOffset + tail.length ? tail.subarray(cdOffset - tailOffset, cdOffset - tailOffset + cdSize) : readAt(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (cd.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw new ZipFormatError(file, `bad central directory entry ${i}`);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    entries.push({
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export function listZip(file: string): ZipEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const readAt = (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      if (n !== length) throw new ZipFormatError(file, `short read at ${offset}`);
      return buf;
    };
    // The EOCD record is the last 22 bytes plus a comment of at most 65,535 bytes.
    const tailLength = Math.min(size, 22 + 65_535 + 64 * 1024);
    const tailOffset = size - tailLength;
    return parseCentralDirectory(file, readAt(tailOffset, tailLength), tailOffset, readAt);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes entry `name` of `zipFile` to `dest` (through `dest.partial`, renamed when complete) and returns its
 * sha256 and size. Throws if the entry is missing or its size differs from the central directory's.
 */
export async function extractZipEntry(zipFile: string, name: string, dest: string): Promise<{ sha256: string; size: number }> {
  const entry = listZip(zipFile).find((e) => e.name === name);
  if (!entry) throw new ZipFormatError(zipFile, `has no entry ${name}`);
  if (entry.method !== STORED && entry.method !== DEFLATED) throw new ZipFormatError(zipFile, `entry ${name} uses compression method ${entry.method}`);
  const fd = fs.openSync(zipFile, 'r');
  let dataStart: number;
  try {
    const header = Buffer.alloc(30);
    fs.readSync(fd, header, 0, 30, entry.localHeaderOffset);
    if (header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipFormatError(zipFile, `bad local header for ${name}`);
    dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    fs.closeSync(fd);
  }
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const partial = `${dest}.partial`;
  if (entry.compressedSize === 0) await pipeline(Readable.from([]), tap, fs.createWriteStream(partial));
  else {
    const source = fs.createReadStream(zipFile, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
    if (entry.method === DEFLATED) await pipeline(source, zlib.createInflateRaw(), tap, fs.createWriteStream(partial));
    else await pipeline(source, tap, fs.createWriteStream(partial));
  }
  if (size !== entry.size) {
    fs.rmSync(partial, { force: true });
    throw new ZipFormatError(zipFile, `entry ${name} inflated to ${size} bytes, expected ${entry.size}`);
  }
  fs.renameSync(partial, dest);
  return { sha256: hash.digest('hex'), size };
}
