/** The configuration's refusals, as the tests of each setting read them. */
import { ConfigError, loadConfig } from '../../src/config.js';

/** The problems loadConfig names for `env` (which must have some). */
export function configProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, { notice: () => {} });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
