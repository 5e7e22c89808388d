/** Control flow: a condition branching the pipeline, and a step failing the execution. */
import { ValidationIssue } from '../../../../lib/errors';
import { Get, PipelineValue } from '../expressions';
import { PipelineStep, StepProps, StepRenderContext } from './base';

export type ConditionType = 'GreaterThan' | 'GreaterThanOrEqualTo' | 'LessThan' | 'LessThanOrEqualTo' | 'Equals' | 'NotEquals';

/** A condition a ConditionStep evaluates. */
export class Condition {
  public static greaterThan(left: PipelineValue, right: PipelineValue) { return new Condition('GreaterThan', left, right); }
  public static greaterThanOrEqualTo(left: PipelineValue, right: PipelineValue) { return new Condition('GreaterThanOrEqualTo', left, right); }
  public static lessThan(left: PipelineValue, right: PipelineValue) { return new Condition('LessThan', left, right); }
  public static lessThanOrEqualTo(left: PipelineValue, right: PipelineValue) { return new Condition('LessThanOrEqualTo', left, right); }
  public static equals(left: PipelineValue, right: PipelineValue) { return new Condition('Equals', left, right); }
  public static notEquals(left: PipelineValue, right: PipelineValue) { return new Condition('NotEquals', left, right); }

  private constructor(public readonly type: ConditionType, public readonly left: PipelineValue, public readonly right: PipelineValue) {}

  public toJSON() {
    return { Type: this.type, LeftValue: this.left, RightValue: this.right };
  }
}

export interface ConditionStepProps extends StepProps {
  /** All must hold for the if branch. */
  readonly conditions: readonly Condition[];
  /** @default - none */
  readonly ifSteps?: readonly PipelineStep[];
  /** @default - none */
  readonly elseSteps?: readonly PipelineStep[];
}

/** Branches the pipeline: the if steps run when every condition holds, the else steps otherwise. */
export class ConditionStep extends PipelineStep<ConditionStepProps> {
  /** Problems with the props, found before the step exists. */
  private static validateProps(p: ConditionStepProps): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (p.conditions.length === 0) issues.push({ path: 'conditions', message: 'is empty', got: 'no condition', expected: 'at least one condition' });
    if ((p.ifSteps?.length ?? 0) + (p.elseSteps?.length ?? 0) === 0) issues.push({ path: 'ifSteps', message: 'leaves both branches empty', got: 'no step', expected: 'a step in ifSteps or elseSteps' });
    return issues;
  }

  public readonly type = 'Condition';

  constructor(props: ConditionStepProps) {
    super('ConditionStep', props, ConditionStep.validateProps(props));
  }

  /** Evaluates to true when the conditions held. */
  public get outcome(): Get {
    return this.property('Outcome');
  }

  public get nestedSteps(): readonly PipelineStep[] {
    return [...(this.props.ifSteps ?? []), ...(this.props.elseSteps ?? [])];
  }

  protected renderArguments(ctx: StepRenderContext): Record<string, unknown> {
    return {
      Conditions: this.props.conditions.map((c) => c.toJSON()),
      IfSteps: (this.props.ifSteps ?? []).map((s) => s.render(ctx)),
      ElseSteps: (this.props.elseSteps ?? []).map((s) => s.render(ctx)),
    };
  }
}

export interface FailStepProps extends StepProps {
  readonly errorMessage: PipelineValue;
}

/** Ends the execution as Failed, with a message. */
export class FailStep extends PipelineStep<FailStepProps> {
  public readonly type = 'Fail';
  constructor(props: FailStepProps) {
    super('FailStep', props);
  }

  protected renderArguments(): Record<string, unknown> {
    return { ErrorMessage: this.props.errorMessage };
  }
}

