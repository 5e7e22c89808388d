/**
 * Values of a SageMaker pipeline definition that are only known during an execution: pipeline
 * parameters (`{ Get: 'Parameters.X' }`), execution variables (`{ Get: 'Execution.X' }`), step
 * properties (`{ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }`), values read from a property
 * file (`{ 'Std:JsonGet': ... }`) and joins (`{ 'Std:Join': ... }`). Each knows the steps it reads,
 * so the pipeline can check references and order at render time.
 */

/** A value in a step's arguments: a literal or an expression evaluated during the execution. */
export type PipelineValue = string | number | boolean | PipelineExpression;

export abstract class PipelineExpression {
  /** Names of the steps this expression reads (a reference is a data dependency). */
  public abstract readonly stepsRead: readonly StepRead[];
  /** The definition JSON of the expression. */
  public abstract toJSON(): Record<string, unknown>;
}

/** A step name read by an expression, and the property file it reads, if any. */
export interface StepRead {
  readonly step: string;
  readonly propertyFile?: string;
}

/** `{ Get: path }`. */
export class Get extends PipelineExpression {
  /** A property of a step: `Get.step('Train', 'ModelArtifacts.S3ModelArtifacts')`. */
  public static step(stepName: string, path: string): Get {
    return new Get(`Steps.${stepName}.${path}`, [{ step: stepName }]);
  }

  private constructor(public readonly path: string, public readonly stepsRead: readonly StepRead[]) {
    super();
  }

  /** @internal */
  public static raw(path: string): Get {
    return new Get(path, []);
  }

  public toJSON() {
    return { Get: this.path };
  }
}

/** Execution variables SageMaker sets for every execution. */
export class ExecutionVariable {
  public static readonly PIPELINE_EXECUTION_ID = Get.raw('Execution.PipelineExecutionId');
  public static readonly PIPELINE_EXECUTION_ARN = Get.raw('Execution.PipelineExecutionArn');
  public static readonly PIPELINE_NAME = Get.raw('Execution.PipelineName');
  public static readonly START_DATETIME = Get.raw('Execution.StartDateTime');
}

export type ParameterType = 'String' | 'Integer' | 'Float' | 'Boolean';

/** A pipeline parameter: set per execution (StartPipelineExecution, a schedule, an event), with a default. */
export class PipelineParameter extends PipelineExpression {
  public static string(name: string, defaultValue?: string, description?: string): PipelineParameter {
    return new PipelineParameter(name, 'String', defaultValue, description);
  }

  public static integer(name: string, defaultValue?: number, description?: string): PipelineParameter {
    return new PipelineParameter(name, 'Integer', defaultValue, description);
  }

  public static float(name: string, defaultValue?: number, description?: string): PipelineParameter {
    return new PipelineParameter(name, 'Float', defaultValue, description);
  }

  public static boolean(name: string, defaultValue?: boolean, description?: string): PipelineParameter {
    return new PipelineParameter(name, 'Boolean', defaultValue, description);
  }

  public readonly stepsRead: readonly StepRead[] = [];

  private constructor(
    public readonly name: string,
    public readonly type: ParameterType,
    public readonly defaultValue?: string | number | boolean,
    public readonly description?: string,
  ) {
    super();
  }

  public toJSON() {
    return { Get: `Parameters.${this.name}` };
  }

  /** The parameter's declaration in the definition's `Parameters`. */
  public declaration(): Record<string, unknown> {
    return { Name: this.name, Type: this.type, DefaultValue: this.defaultValue, Description: this.description };
  }
}

/** `{ 'Std:Join': { On, Values } }`: concatenates strings and expressions at execution time. */
export class Join extends PipelineExpression {
  public static on(separator: string, values: readonly PipelineValue[]): Join {
    return new Join(separator, values);
  }

  private constructor(public readonly separator: string, public readonly values: readonly PipelineValue[]) {
    super();
  }

  public get stepsRead(): readonly StepRead[] {
    return this.values.flatMap((v) => (v instanceof PipelineExpression ? v.stepsRead : []));
  }

  public toJSON() {
    return { 'Std:Join': { On: this.separator, Values: this.values } };
  }
}

/**
 * A file a processing step writes (the evaluation report), declared on the step as a property file
 * so later steps can read values out of it.
 */
export interface PropertyFile {
  /** The name by which steps refer to it. */
  readonly name: string;
  /** The processing output the file is written to. */
  readonly outputName: string;
  /** The file's path under that output. */
  readonly filePath: string;
}

/** `{ 'Std:JsonGet': { PropertyFile, Path } }`: a value read from a property file of a step. */
export class JsonGet extends PipelineExpression {
  public static of(stepName: string, propertyFile: string, jsonPath: string): JsonGet {
    return new JsonGet(stepName, propertyFile, jsonPath);
  }

  private constructor(public readonly stepName: string, public readonly propertyFile: string, public readonly jsonPath: string) {
    super();
  }

  public get stepsRead(): readonly StepRead[] {
    return [{ step: this.stepName, propertyFile: this.propertyFile }];
  }

  public toJSON() {
    return { 'Std:JsonGet': { PropertyFile: { Get: `Steps.${this.stepName}.PropertyFiles.${this.propertyFile}` }, Path: this.jsonPath } };
  }
}

/** Every expression inside a rendered value (arguments of a step), depth first. */
export function expressionsIn(value: unknown, out: PipelineExpression[] = []): PipelineExpression[] {
  if (value instanceof PipelineExpression) {
    out.push(value);
    if (value instanceof Join) value.values.forEach((v) => expressionsIn(v, out));
    return out;
  }
  if (Array.isArray(value)) value.forEach((v) => expressionsIn(v, out));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => expressionsIn(v, out));
  return out;
}

/** A number known during the execution, written into JSON by {@link pipelineJson} as a number (unquoted). */
export class JsonNumber {
  constructor(public readonly value: PipelineExpression) {}
}

/**
 * `value` as a JSON string whose expressions are filled in during the execution: a Join of the
 * JSON text around them (a string when there are none). An expression in a string stays inside
 * its quotes; a {@link JsonNumber} is written bare. The values an expression yields must not need
 * JSON escaping (ARNs, S3 URIs, numbers).
 */
export function pipelineJson(value: unknown): PipelineValue {
  const exprs: PipelineExpression[] = [];
  const mark = (v: unknown): unknown => {
    if (v instanceof JsonNumber) return `@@cdk-mlops-num-${exprs.push(v.value) - 1}@@`;
    if (v instanceof PipelineExpression) return `@@cdk-mlops-str-${exprs.push(v) - 1}@@`;
    if (Array.isArray(v)) return v.map(mark);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x)]));
    return v;
  };
  const text = JSON.stringify(mark(value));
  if (exprs.length === 0) return text;
  const parts: PipelineValue[] = [];
  const sentinel = /"@@cdk-mlops-num-(\d+)@@"|@@cdk-mlops-str-(\d+)@@/g;
  let last = 0;
  for (let m = sentinel.exec(text); m; m = sentinel.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(...inline(exprs[Number(m[1] ?? m[2])]));
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return Join.on('', parts);
}

/** A Join's values with its separator between them (a Join inside a Join on '' is not one SageMaker's schema allows); other expressions as they are. */
function inline(e: PipelineExpression): PipelineValue[] {
  if (!(e instanceof Join)) return [e];
  return e.values.flatMap((v, i) => [...(i > 0 && e.separator !== '' ? [e.separator] : []), ...(v instanceof PipelineExpression ? inline(v) : [v])]);
}
