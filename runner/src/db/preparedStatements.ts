/**
 * Named (prepared) statements for the runner's parameterised queries (its own pool; pg-boss's
 * statements inside the runner's transactions, such as its job insert, go through it too).
 *
 * PostgreSQL parses, analyses and plans an unnamed statement on every execution. The runner sends
 * the same few dozen statement texts over and over, and on the intake path that work was a large
 * share of a backend's CPU (perf record of the backends). A named statement is parsed once per
 * connection and its plan cached by the server
 * (custom plans first, then a generic one when PostgreSQL judges it no worse).
 *
 * Not named, on purpose:
 * - a query without values: the text may hold several statements (migrations, pg-boss's DDL),
 *   which the extended protocol does not allow; and a parameterless statement's cached plan is
 *   never re-planned for the data, only on invalidation. pg-boss's fetch, a single statement
 *   without values, is named on a pool of its own (queue.ts): before worker processes analyzed
 *   busy tables (maintenance/statistics.ts, whose ANALYZE invalidates the plan), it kept the plan
 *   made when its job table was new and ran far slower.
 * - pg-boss's own pool (complete, fail, touch): generic plans for its batch statements measured
 *   worse.
 *
 * A text gets a name the first time it is seen, for the life of the process, so a name means the
 * same text on every connection. The set is bounded: texts beyond it stay unnamed, so a caller
 * that builds texts on the fly cannot make every connection hold ever more statements.
 */
import pg from 'pg';

/** More than the runner sends (~80 texts), few enough to cost the server little. */
export const MAX_NAMED_STATEMENTS = 500;

const names = new Map<string, string>();

/** The statement name for `text`, or undefined once the set is full. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
    name = `ld_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** How many texts have a name (tests). */
export function namedStatementCount(): number {
  return names.size;
}

type QueryArguments = Parameters<pg.Client['query']>;
const plainQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;

/**
 * A pg Client that names `query(text, values)` calls (pg-boss and pg's Pool call it that way).
 * Pass it as the Pool's `Client`.
 */
export class PreparedStatementClient extends pg.Client {}

Object.defineProperty(PreparedStatementClient.prototype, 'query', {
  configurable: true,
  writable: true,
  value: function namedQuery(this: pg.Client, ...args: QueryArguments): unknown {
    const [text, values, callback] = args as unknown[];
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name !== undefined) {
        return plainQuery.call(this, { name, text, values }, callback);
      }
    }
    return plainQuery.apply(this, args);
  },
});
