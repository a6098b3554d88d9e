// Types for suite.mjs (the nats.go suite runner), as test/nats-go-suite.test.ts uses it.
export interface Suite {
  readonly bin: string;
  readonly dir: string;
  readonly pkg: string;
}
export interface Verdict {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly out: string;
}
export const EXCLUDED: Readonly<Record<string, string>>;
export const TSNATS: string;
export function available(): boolean;
export function listTests(): string[];
export function buildSuite(dir: string): Suite;
export function runTest(suite: Suite, name: string, server: string, timeoutS?: number): Promise<Verdict>;
