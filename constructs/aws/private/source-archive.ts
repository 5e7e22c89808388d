/**
 * A training script's folder packed the way the SageMaker Python SDK packs `source_dir`: a gzipped
 * tar (`sourcedir.tar.gz`), which the SageMaker training toolkit of the framework containers
 * extracts into /opt/ml/code before running `sagemaker_program`. CDK's directory assets are zip
 * files, which the toolkit cannot open, so the archive is written here, deterministically (sorted
 * entries, fixed times and owners: the same folder gives the same asset hash).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';

const BLOCK = 512;

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

function header(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const b = Buffer.alloc(BLOCK, 0);
  let entry = name;
  let prefix = '';
  if (Buffer.byteLength(entry) > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`path too long for a tar archive: ${name}`);
    prefix = name.slice(0, cut);
    entry = name.slice(cut + 1);
  }
  b.write(entry, 0, 100, 'utf8');
  b.write(octal(mode, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii');
  b.write(octal(0, 8), 116, 'ascii');
  b.write(octal(size, 12), 124, 'ascii');
  b.write(octal(0, 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(type, 156, 'ascii');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  b.write('root', 265, 'ascii');
  b.write('root', 297, 'ascii');
  b.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

/** Files and folders under `dir`, relative, sorted; symbolic links are followed. */
function entries(dir: string, rel = ''): { rel: string; dir: boolean }[] {
  const out: { rel: string; dir: boolean }[] = [];
  for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const stat = fs.statSync(path.join(dir, r));
    if (stat.isDirectory()) out.push({ rel: r, dir: true }, ...entries(dir, r));
    else if (stat.isFile()) out.push({ rel: r, dir: false });
  }
  return out;
}

/** The gzipped tar of `dir`'s content (paths relative to it), as the SDK's sourcedir.tar.gz. */
export function packSourceDir(dir: string): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries(dir)) {
    if (e.dir) {
      parts.push(header(`${e.rel}/`, 0, '5', 0o755));
      continue;
    }
    const data = fs.readFileSync(path.join(dir, e.rel));
    parts.push(header(e.rel, data.length, '0', 0o644), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK, 0));
  }
  parts.push(Buffer.alloc(2 * BLOCK, 0));
  // mtime 0 in the gzip header (zlib writes none): identical input, identical bytes.
  return zlib.gzipSync(Buffer.concat(parts), { level: 9 });
}

/** Writes the archive of `dir` to a folder of its own under the OS temp dir, named sourcedir.tar.gz; returns its path. */
export function writeSourceArchive(dir: string): string {
  const archive = packSourceDir(dir);
  const folder = path.join(os.tmpdir(), `cdk-mlops-sourcedir-${createHash('sha256').update(archive).digest('hex').slice(0, 16)}`);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, 'sourcedir.tar.gz');
  if (!fs.existsSync(file)) fs.writeFileSync(file, archive);
  return file;
}
