/**
 * How the `mlops` process runs a command: in a worker thread, so that the main thread stays free to
 * answer SIGINT and SIGTERM while a synth runs synchronously for many seconds. On a signal the worker
 * is stopped (a thread dies with its process: nothing outlives the command), the temporary output
 * folders it had are removed (or a previous output set aside mid-swap is put back), and the process
 * exits 128 + the signal's number, as a shell expects. Run through tsx, it also stops when tsx is
 * killed outright.
 */
import * as os from 'os';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { cleanUpTemporaryOutputDir, onTemporaryOutputDir } from '../lib/output-dir';

interface CliWorkerData { readonly mlopsCliArgv: string[] }
type WorkerMessage = { readonly temporary: ['add' | 'delete', string] } | { readonly exitCode: number };

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function cliWorkerArgv(): string[] | undefined {
  return isMainThread ? undefined : (workerData as Partial<CliWorkerData> | null)?.mlopsCliArgv;
}

/** True inside the worker that runs a command for the `mlops` process. */
export function isCliWorker(): boolean {
  return cliWorkerArgv() !== undefined;
}

/**
 * The `mlops` entry: on the main thread, runs `entry` (this very file, `.ts` under tsx or `.js`
 * when built) in a worker and waits; inside that worker, runs `main` with the arguments.
 */
export function runCommandLine(entry: string, main: (argv: string[]) => Promise<number>): void {
  const argv = cliWorkerArgv();
  if (argv) {
    onTemporaryOutputDir((event, dir) => parentPort?.postMessage({ temporary: [event, dir] } satisfies WorkerMessage));
    void main(argv).then((exitCode) => parentPort?.postMessage({ exitCode } satisfies WorkerMessage));
    return;
  }
  startWorker(entry, process.argv.slice(2));
}

function startWorker(entry: string, argv: string[]): void {
  // Under tsx (`npm run mlops`), the worker needs tsx's loader too; the built package is plain JS.
  const preload = entry.endsWith('.ts') ? `require(${JSON.stringify(require.resolve('tsx/cjs'))});` : '';
  const worker = new Worker(`${preload}require(${JSON.stringify(entry)});`, { eval: true, workerData: { mlopsCliArgv: argv } satisfies CliWorkerData });
  const temporary = new Set<string>();
  let exitCode: number | undefined;
  worker.on('message', (m: WorkerMessage) => {
    if ('exitCode' in m) exitCode = m.exitCode;
    else if (m.temporary[0] === 'add') temporary.add(m.temporary[1]);
    else temporary.delete(m.temporary[1]);
  });
  worker.on('error', (e) => {
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
    exitCode = 1;
  });
  worker.on('exit', () => {
    process.exitCode = exitCode ?? 1;
    for (const s of SIGNALS) process.removeListener(s, stop);
  });
  let stopping = false;
  function stop(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    void worker.terminate().then(() => {
      // Messages the worker posted before it stopped are delivered first.
      setImmediate(() => {
        for (const dir of temporary) cleanUpTemporaryOutputDir(dir);
        process.exit(128 + (os.constants.signals[signal] ?? 0));
      });
    });
  }
  for (const s of SIGNALS) process.on(s, stop);
  // Under tsx (`npm run mlops`) this process is tsx's child: when tsx is killed outright (SIGKILL),
  // no signal is relayed, and the orphan stops itself rather than outlive the command.
  if (entry.endsWith('.ts')) {
    const parent = process.ppid;
    const watch = setInterval(() => { if (process.ppid !== parent) stop('SIGTERM'); }, 250);
    watch.unref();
    worker.on('exit', () => clearInterval(watch));
  }
}
