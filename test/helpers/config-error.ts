// The ConfigError a config step throws (anything else is rethrown; no error fails the test).
import { ConfigError } from '../../src/config/conf.js';

export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
