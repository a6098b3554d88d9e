// Shorthands for writing scenario tables.

import { sortedFrames, type Scenario, type Step, type Want } from '../helpers/scenario.js';

export { s, on, wait, open, close, sync, CONNECT, QUIET, pub, hpub, sortedFrames } from '../helpers/scenario.js';
export type { Scenario, Step, Want };

export type Opts = Omit<Scenario, 'name' | 'steps'>;

export function sc(name: string, steps: Step[], opts: Opts = {}): Scenario {
  return { name, steps, ...opts };
}

/** want: exact transcript of conn 0 after its INFO line (`<EOF>` when the server closed) */
export function exact(text: string, conn = 0): Want {
  return { conn, exact: text };
}

/** want: like exact, but as a multiset of frames (several subs of one connection matched) */
export function anyOrder(text: string, conn = 0): Want {
  return { conn, exact: text, unordered: true };
}

/** options for a scenario where several subscriptions of one connection receive the same message */
export function multiSub(text: string, conn = 0): Pick<Scenario, 'want' | 'summarize'> {
  return { want: [anyOrder(text, conn)], summarize: sortedFrames };
}

export const EOF = '<EOF>';
export const UNKNOWN_OP = "-ERR 'Unknown Protocol Operation'\r\n";
export const OK = '+OK\r\n';
export const PONG = 'PONG\r\n';
/** CONNECT that turns verbose and pedantic off */
export const CQ = 'CONNECT {"verbose":false,"pedantic":false}\r\n';
/** CONNECT quiet + headers */
export const CH = 'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n';
