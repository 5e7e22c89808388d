import { main } from '../../bin/mlops';

/** Runs the `mlops` command line in-process, as the tests call it: its exit code and what it wrote. */
export async function runMlops(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => err.push(s), (s) => out.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}
