/**
 * Records every n8n expression the process evaluates. Every expression is rendered through
 * `Expression.renderExpression`, whichever engine evaluates it; it is private, so it is reached
 * through a view of the prototype that names it.
 */
import { Expression } from 'n8n-workflow';

export interface ExpressionSpy {
  /** The expressions evaluated so far (their text, without the leading `=`). */
  readonly evaluated: string[];
  restore(): void;
}

export function spyOnExpressions(): ExpressionSpy {
  const evaluated: string[] = [];
  const prototype = Expression.prototype as unknown as {
    renderExpression(expression: string, data: unknown): unknown;
  };
  const render = prototype.renderExpression;
  const spy = jest.spyOn(prototype, 'renderExpression').mockImplementation(function (
    this: unknown,
    expression: string,
    data: unknown,
  ) {
    evaluated.push(String(expression));
    return render.call(this, expression, data);
  });
  return { evaluated, restore: () => spy.mockRestore() };
}
