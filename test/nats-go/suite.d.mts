// Types for suite.mjs (the nats.go suite runner), as test/nats-go-suite.test.ts uses it.
export interface Suite {
  readonly bin: string;
  readonly dir: string;
  readonly pkg: string;
  readonly set: FileSet;
}
export type FileSet = 'jetstream' | 'core';
export interface Verdict {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly out: string;
}
export const EXCLUDED: Readonly<Record<string, string>>;
export const EXCLUDED_CORE: Readonly<Record<string, string>>;
export const FILE_SETS: Readonly<Record<FileSet, readonly string[]>>;
export function excludedFor(set?: FileSet): Readonly<Record<string, string>>;
export const TSNATS: string;
export function available(set?: FileSet): boolean;
export function listTests(set?: FileSet): string[];
export function buildSuite(dir: string, set?: FileSet): Suite;
export function runTest(suite: Suite, name: string, server: string, timeoutS?: number): Promise<Verdict>;
