// Found in review (wal/files.ts writevFully): a record with many referenced entries becomes
// more pieces than IOV_MAX (1024 on Linux); a 1 GiB record of 1 MiB entries is ~2,000 pieces.
// libuv splits such a writev into IOV_MAX-sized calls itself; this pins that down (and that
// writevFully's resume-after-short-write bookkeeping agrees) without writing a gigabyte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writevFully } from '../../wal/files.js';
import { removeDir, tempDir } from './helpers.js';

test('writevFully writes more pieces than IOV_MAX, in order, at the position given', async () => {
  const dir = await tempDir('tsraft-iov-');
  try {
    const path = join(dir, 'f');
    const fh = await open(path, 'w+');
    try {
      const pieces: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < 5000; i++) {
        const piece = new Uint8Array((i * 7) % 13).fill(i & 0xff); // empty pieces included
        pieces.push(piece);
        total += piece.byteLength;
      }
      await fh.write(Buffer.from('head'), 0, 4, 0);
      await writevFully(fh, pieces, 4);
      const expected = Buffer.concat([Buffer.from('head'), ...pieces]);
      assert.is(expected.length, total + 4);
      assert.ok((await readFile(path)).equals(expected), 'file holds the pieces in order');
    } finally {
      await fh.close();
    }
  } finally {
    await removeDir(dir);
  }
});

test('writevFully resumes correctly after short writes cutting anywhere (fake handle)', async () => {
  for (let seed = 1; seed <= 200; seed++) {
    let x = seed;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const pieces = Array.from({ length: 1 + rand(8) }, (_, i) => new Uint8Array(rand(6)).map((_, k) => i * 16 + k));
    const file = new Uint8Array(256);
    const fake = {
      async writev(buffers: Uint8Array[], position: number) {
        const room = 1 + rand(5); // short: 1..5 bytes per call
        let written = 0;
        for (const b of buffers) {
          for (const byte of b) {
            if (written === room) break;
            file[position + written++] = byte;
          }
        }
        return { bytesWritten: written, buffers };
      },
    };
    await writevFully(fake as never, pieces, 10);
    const expected = Buffer.concat(pieces);
    assert.ok(Buffer.from(file.subarray(10, 10 + expected.length)).equals(expected), `seed ${seed}`);
    assert.ok(file.subarray(10 + expected.length).every((b) => b === 0), `seed ${seed}: nothing past the end`);
  }
});

test.run();
