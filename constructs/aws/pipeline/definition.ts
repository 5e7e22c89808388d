/**
 * Renders steps to a SageMaker pipeline definition (PipelineDefinitionBody, Version 2020-12-01)
 * and checks what only the whole pipeline can tell: step names are unique, every step read or
 * waited for exists, every property file read is declared, the steps form no cycle, and each
 * parameter is declared once.
 */
import { MlopsValidationError, renderValue, ValidationIssue, ValidationSubject } from '../../../lib/errors';
import { expressionsIn, PipelineExpression, PipelineParameter } from './expressions';
import { PipelineStep, StepRenderContext } from './steps';

export const PIPELINE_DEFINITION_VERSION = '2020-12-01';

/** Plain JSON: expressions replaced by their JSON, undefined fields dropped. */
export function toPlainJson(value: unknown): unknown {
  if (value instanceof PipelineExpression) return toPlainJson(value.toJSON());
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' && !Array.isArray(value)) {
    return toPlainJson((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}

interface Placed {
  readonly step: PipelineStep;
  /** Where the step is, for messages: `steps[2]` or `steps[3].ifSteps[0]`. */
  readonly path: string;
  /** The condition step whose branch holds it. */
  readonly parent?: PipelineStep;
}

function place(steps: readonly PipelineStep[], prefix: string, parent?: PipelineStep, out: Placed[] = []): Placed[] {
  steps.forEach((step, i) => {
    const path = `${prefix}[${i}]`;
    out.push({ step, path, parent });
    place(step.nestedSteps, `${path}.nested`, step, out);
  });
  return out;
}

/**
 * The definition of a pipeline made of `steps`, or one MlopsValidationError listing every problem.
 * Parameters are those given plus any read by a step.
 */
export function renderPipelineDefinition(subject: ValidationSubject, steps: readonly PipelineStep[], parameters: readonly PipelineParameter[], ctx: StepRenderContext): Record<string, unknown> {
  const issues: ValidationIssue[] = [];
  if (steps.length === 0) issues.push({ path: 'steps', message: 'is empty', got: 'no step', expected: 'at least one step' });
  const placed = place(steps, 'steps');
  const byName = new Map<string, Placed>();
  for (const p of placed) {
    const first = byName.get(p.step.name);
    if (first) issues.push({ path: `${p.path}.name`, message: `repeats the name of ${first.path}`, got: renderValue(p.step.name), expected: 'a name no other step of the pipeline has' });
    else byName.set(p.step.name, p);
  }

  // Render once; read the expressions of each step's own entry (not its branches: they are steps of their own).
  const rendered = steps.map((s) => s.render(ctx));
  const reads = new Map<PipelineStep, Set<string>>();
  const declared = new Map<string, PipelineParameter>(parameters.map((p) => [p.name, p]));
  for (const p of placed) {
    const entry = p.step.render(ctx);
    const args = entry.Arguments as Record<string, unknown>;
    const own = p.step.nestedSteps.length > 0 ? { ...args, IfSteps: undefined, ElseSteps: undefined } : args;
    const expressions = expressionsIn({ ...entry, Arguments: own });
    const edges = new Set<string>(p.step.dependsOn);
    p.step.dependsOn.forEach((d, i) => {
      if (!byName.has(d)) issues.push({ path: `${p.path}.dependsOn[${i}]`, message: 'names no step of the pipeline', got: renderValue(d), expected: known(byName) });
    });
    for (const e of expressions) {
      if (e instanceof PipelineParameter) {
        const other = declared.get(e.name);
        if (other && other !== e && (other.type !== e.type || other.defaultValue !== e.defaultValue)) {
          issues.push({ path: `${p.path}`, message: `reads parameter '${e.name}' declared twice differently`, got: `${e.type} ${renderValue(e.defaultValue)}`, expected: `${other.type} ${renderValue(other.defaultValue)}` });
        }
        if (!other) declared.set(e.name, e);
        continue;
      }
      for (const read of e.stepsRead) {
        const target = byName.get(read.step);
        if (!target) {
          issues.push({ path: p.path, message: `step '${p.step.name}' reads a step the pipeline does not have`, got: renderValue(read.step), expected: known(byName) });
          continue;
        }
        if (read.propertyFile !== undefined && !target.step.propertyFiles.some((f) => f.name === read.propertyFile)) {
          issues.push({ path: p.path, message: `step '${p.step.name}' reads a property file step '${read.step}' does not declare`, got: renderValue(read.propertyFile), expected: target.step.propertyFiles.length > 0 ? `one of ${target.step.propertyFiles.map((f) => `'${f.name}'`).join(', ')}` : 'a property file declared on that step' });
        }
        edges.add(read.step);
      }
    }
    // A branch step runs after its condition.
    if (p.parent) edges.add(p.parent.name);
    reads.set(p.step, edges);
  }

  const cycle = findCycle(placed.map((p) => p.step), reads);
  if (cycle) issues.push({ path: 'steps', message: 'form a cycle', got: cycle.map((s) => `'${s}'`).join(' → '), expected: 'steps that only read or wait for earlier steps' });
  if (issues.length > 0) throw new MlopsValidationError(subject, issues);

  const params = [...declared.values()];
  return toPlainJson({
    Version: PIPELINE_DEFINITION_VERSION,
    Metadata: {},
    Parameters: params.map((p) => p.declaration()),
    Steps: rendered,
  }) as Record<string, unknown>;
}

function known(byName: ReadonlyMap<string, unknown>): string {
  return byName.size > 0 ? `one of ${[...byName.keys()].map((n) => `'${n}'`).join(', ')}` : 'a step of the pipeline';
}

/** A cycle among the steps (names, first repeated at the end), or undefined. */
function findCycle(steps: readonly PipelineStep[], edges: ReadonlyMap<PipelineStep, ReadonlySet<string>>): string[] | undefined {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    const step = byName.get(name);
    if (!step) return undefined;
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of edges.get(step) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.name);
    if (found) return found;
  }
  return undefined;
}
