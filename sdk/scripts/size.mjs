#!/usr/bin/env node
// Prints the size of each built file, raw and gzipped (what a browser downloads).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = join(import.meta.dirname, '..', 'dist');
for (const name of readdirSync(dist).filter((f) => /\.c?js$/.test(f))) {
  const bytes = readFileSync(join(dist, name));
  const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
  process.stdout.write(
    `${name.padEnd(12)} ${kb(bytes.length).padStart(9)}  gzip ${kb(gzipSync(bytes).length).padStart(8)}\n`,
  );
}
