/**
 * Output folders the command line writes (a cloud assembly, Terraform JSON, an audit report), written
 * so that nothing cdk-mlops did not create is ever removed:
 *
 * - everything is written into `<target>.staging-<pid>` beside the target, which carries our marker
 *   file (`.mlops-output.json`) from the moment it exists;
 * - it is swapped in only where the target is absent, an empty folder, or a previous cdk-mlops
 *   output (it carries the marker); anything else (a file, a link, a folder of someone else's) is
 *   refused, and the target is left as it was;
 * - a path that cannot be created (inside /proc, under a file, permission denied, too long) is one
 *   error, at once: folders are created one level at a time (Node's recursive mkdir loops forever
 *   under /proc);
 * - staging folders of processes that died (SIGKILL, power loss) are removed at the next run, and
 *   only those: our name, our marker, a process id that no longer runs.
 *
 * Errors are MlopsValidationError (bad input: `mlops` exits 2), one line naming the folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MlopsValidationError } from './errors';
import { printable } from './printable';

/** The file every output folder cdk-mlops writes carries: what recognises a previous output. */
export const OUTPUT_MARKER = '.mlops-output.json';
const WRITTEN_BY = 'cdk-mlops';

/** What the folder holds, for messages: `a cloud assembly`, `Terraform JSON`, `an audit report`. */
export interface OutputDirOptions {
  readonly contents: string;
  /**
   * Recognises a previous output of this kind without the marker, for a folder whose files are read
   * as a whole by others (an audit report published to S3 as is): the marker is then left out of it.
   * @default - the marker recognises it
   */
  readonly recognise?: (dir: string) => boolean;
}

/** Temporary folders of this process, and who wants to know (the CLI's signal handler, across a worker). */
const temporary = new Set<string>();
type TemporaryListener = (event: 'add' | 'delete', dir: string) => void;
let listener: TemporaryListener | undefined;

/** Called whenever this process creates or removes a temporary output folder (staging, previous). */
export function onTemporaryOutputDir(l: TemporaryListener | undefined): void {
  listener = l;
}

function track(dir: string): void {
  temporary.add(dir);
  listener?.('add', dir);
}

function untrack(dir: string): void {
  temporary.delete(dir);
  listener?.('delete', dir);
}

function refuse(target: string, options: OutputDirOptions, message: string, got: string, expected = 'a new path, an empty folder or a previous cdk-mlops output'): never {
  throw new MlopsValidationError({ kind: 'Output folder', id: printable(target), location: `for ${options.contents}` }, [{ path: '', message, got: printable(got), expected }]);
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}${err.path ? ` at '${err.path}'` : ''}` : String(e);
}

type TargetState = 'absent' | 'empty' | 'ours';

function isOurs(dir: string): boolean {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_MARKER), 'utf8')) as { writtenBy?: unknown };
    return marker.writtenBy === WRITTEN_BY;
  } catch {
    return false;
  }
}

function stateOf(dir: string, target: string, options: OutputDirOptions): TargetState {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'absent';
    if (code === 'ENOTDIR') refuse(target, options, 'is under a file, not a folder', errnoText(e));
    return refuse(target, options, 'cannot be used', errnoText(e), 'a path where a folder can be created');
  }
  if (stat.isSymbolicLink()) refuse(target, options, 'is a symbolic link; cdk-mlops replaces only folders it wrote', 'a symbolic link');
  if (!stat.isDirectory()) refuse(target, options, 'is a file, not a folder; cdk-mlops does not replace it', 'a file');
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    return refuse(target, options, 'cannot be read', errnoText(e));
  }
  if (entries.length === 0) return 'empty';
  if (isOurs(dir) || options.recognise?.(dir)) return 'ours';
  return refuse(target, options, `exists and holds files cdk-mlops did not write (no ${OUTPUT_MARKER}); move them away or choose another folder`,
    `a folder of ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
}

/** Creates `dir` and its missing parents one level at a time: any error at once, never a loop. */
function makeParents(dir: string, target: string, options: OutputDirOptions): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') refuse(target, options, code === 'ENOTDIR' ? 'is under a file, not a folder' : 'cannot be created', errnoText(e), 'a path where a folder can be created');
    }
    if (stat) {
      if (!stat.isDirectory()) refuse(target, options, 'is under a file, not a folder', `'${at}', a file`, 'a path where a folder can be created');
      break;
    }
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const m of missing) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') refuse(target, options, 'cannot be created', errnoText(e), 'a path where a folder can be created');
    }
  }
}

function processIsAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Puts a temporary folder of ours back in order: a staging folder is removed; a previous output set
 * aside during a swap is put back when the target is missing, removed otherwise. Only folders that
 * carry our marker are touched.
 */
export function cleanUpTemporaryOutputDir(dir: string): void {
  const m = /^(.*)\.(staging|previous)-\d+$/.exec(dir);
  if (!m || !isOurs(dir)) return;
  try {
    if (m[2] === 'previous' && !fs.existsSync(m[1])) fs.renameSync(dir, m[1]);
    else fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // Best effort: the next run removes it (it is recognised by its name, marker and dead pid).
  }
  untrack(dir);
}

/** Removes the staging and set-aside folders beside `dir` left by processes that no longer run. */
function removeStale(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(dir));
  } catch {
    return;
  }
  const pattern = new RegExp(`^${escapeRegExp(path.basename(dir))}\\.(staging|previous)-(\\d+)$`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && !processIsAlive(Number(m[2]))) cleanUpTemporaryOutputDir(path.join(path.dirname(dir), name));
  }
}

/** Marks a folder that cdk-mlops' own app wrote in place (cdk.json's app, run by the CDK CLI) as a cdk-mlops output. */
export function markOutputDir(dir: string, options: OutputDirOptions): void {
  writeMarker(dir, options);
}

function writeMarker(dir: string, options: OutputDirOptions): void {
  fs.writeFileSync(path.join(dir, OUTPUT_MARKER), `${JSON.stringify({ writtenBy: WRITTEN_BY, contents: options.contents, note: 'Written by cdk-mlops: the next synth replaces this folder. Remove this file to keep it from being replaced.' }, null, 2)}\n`);
}

/**
 * Writes an output folder through `write(staging)` and swaps it in at `target` (see the file's
 * comment): nothing cdk-mlops did not write is removed. When `write` throws, the target is left as it was.
 */
export function writeOutputDir<T>(target: string, options: OutputDirOptions, write: (staging: string) => T): T {
  const dir = path.resolve(target.replace(/[\\/]+$/, '') || target);
  stateOf(dir, target, options);
  removeStale(dir);
  makeParents(path.dirname(dir), target, options);
  const staging = `${dir}.staging-${process.pid}`;
  if (fs.existsSync(staging)) cleanUpTemporaryOutputDir(staging);
  try {
    fs.mkdirSync(staging);
  } catch (e) {
    refuse(target, options, 'cannot be created', `${(e as NodeJS.ErrnoException).code ?? String(e)} creating a folder in '${path.dirname(dir)}'`, 'a path where a folder can be created');
  }
  track(staging);
  try {
    writeMarker(staging, options);
    const result = write(staging);
    if (options.recognise) fs.rmSync(path.join(staging, OUTPUT_MARKER));
    else writeMarker(staging, options);
    swapIn(staging, dir, target, options);
    return result;
  } finally {
    if (fs.existsSync(staging)) fs.rmSync(staging, { recursive: true, force: true });
    untrack(staging);
  }
}

function swapIn(staging: string, dir: string, target: string, options: OutputDirOptions): void {
  // Checked again: someone may have put files there while we synthesized.
  const state = stateOf(dir, target, options);
  if (state === 'absent') {
    fs.renameSync(staging, dir);
  } else if (state === 'empty') {
    fs.rmdirSync(dir);
    fs.renameSync(staging, dir);
  } else {
    const previous = `${dir}.previous-${process.pid}`;
    track(previous);
    fs.renameSync(dir, previous);
    fs.renameSync(staging, dir);
    fs.rmSync(previous, { recursive: true, force: true });
    untrack(previous);
  }
}
