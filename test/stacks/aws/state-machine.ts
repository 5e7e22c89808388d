/** Reading a synthesized Step Functions definition (the delivery state machine) in tests. */

export type State = {
  Type: string; Next?: string; Default?: string; Choices?: { Condition: string; Next: string }[]; Catch?: { ErrorEquals: string[]; Next: string }[]; Retry?: { ErrorEquals: string[] }[];
  Arguments?: Record<string, unknown>; Assign?: Record<string, unknown>; Resource?: string; Credentials?: { RoleArn: string };
};
export type Definition = { StartAt: string; QueryLanguage: string; States: Record<string, State> };

/** The states reachable from `from` without taking the transitions `skip` forbids. */
export function reachable(d: Definition, from: string, skip: (state: string, next: string) => boolean = () => false): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const s = d.States[name];
    const next = [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined);
    todo.push(...next.filter((n) => !skip(name, n)));
  }
  return seen;
}
