// The package as a user gets it: `npm pack` of a copy of the checkout (what git would clone, with
// this checkout's node_modules linked in, so the packing never touches this checkout's dist/),
// installed with --ignore-scripts into a new project. No install script runs there and nothing
// is compiled, so the `tsnats` bin must start on the prebuilt addon; the same tarball imports as
// a library and type-checks a consumer file.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/spawn-server.js';

const tuple = `${process.platform}-${process.arch}`;
/** The arm64 prebuild is required where the cross compiler is (CI installs it). */
const CROSS = existsSync('/usr/bin/aarch64-linux-gnu-g++') || process.env.CI === 'true';
/** A lean package: the packed size stays under this. */
const MAX_PACKED = 1024 * 1024;

/** The environment for npm and the installed package: our TSNATS_NATIVE never leaks in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (extra.TSNATS_NATIVE === undefined) delete env.TSNATS_NATIVE;
  return env;
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

let work: string;
let tarball: string;
let files: string[];
let app: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tsnats-pack-'));
  const src = join(work, 'src');
  // The files of a clone: tracked and new files, not ignored ones (dist/, build/, prebuilds/).
  const listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT).split('\0').filter((f) => f !== '');
  for (const f of listed) {
    const from = join(REPO_ROOT, f);
    if (!existsSync(from) || !statSync(from).isFile()) continue; // deleted in the work tree
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(from, join(src, f));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(src, 'node_modules'));
  mkdirSync(join(work, 'out'));
  run('npm', ['pack', '--pack-destination', join(work, 'out')], src);
  tarball = join(work, 'out', `tsnats-${(JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string }).version}.tgz`);
  files = run('tar', ['tzf', tarball], work).split('\n').filter((f) => f !== '' && !f.endsWith('/'));

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@types/node@^20'], app);
}, 600_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships the prebuilds, the build and the C++ sources, and no tests or build intermediates', () => {
    expect(files).toContain(`package/prebuilds/${tuple}/node.napi.glibc.node`);
    if (CROSS) expect(files).toContain('package/prebuilds/linux-arm64/node.napi.glibc.node');
    for (const f of ['package/dist/cli.cjs', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/binding.gyp', 'package/native/scanner.cc', 'package/scripts/build-native.mjs']) {
      expect(files).toContain(f);
    }
    const stray = files.filter((f) => /^package\/(test|src|bench|build|docs|\.ci)\/|\.map$|\.o$|^package\/scripts\/(?!build-native\.mjs$)/.test(f));
    expect(stray).toEqual([]);
    expect(statSync(tarball).size).toBeLessThan(MAX_PACKED);
  });

  it('postpack leaves no prebuilds in the checkout it packed', () => {
    expect(existsSync(join(work, 'src', 'prebuilds'))).toBe(false);
  });
});

describe('installed with --ignore-scripts', () => {
  const pkg = (): string => join(app, 'node_modules', 'tsnats');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  /** Starts the installed bin on a random port; resolves with its output at "Server is ready". */
  function startBin(env: Record<string, string>): Promise<{ proc: ChildProcess; out: string; port: number }> {
    const proc = spawn(join(app, 'node_modules', '.bin', 'tsnats'), ['-a', '127.0.0.1', '-p', '-1'], {
      cwd: app,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    return new Promise((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /Listening for client connections on 127\.0\.0\.1:(\d+)[\s\S]*Server is ready/.exec(out);
        if (m) resolve({ proc, out, port: Number(m[1]) });
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`tsnats exited with ${String(code)}:\n${out}`)));
    });
  }

  it('no install script ran: nothing was compiled', () => {
    expect(existsSync(join(pkg(), 'build'))).toBe(false);
    expect(existsSync(join(pkg(), 'prebuilds', tuple, 'node.napi.glibc.node'))).toBe(true);
  });

  it.each<Record<string, string>>([{}, { TSNATS_NATIVE: 'require' }])('the tsnats bin starts on the prebuilt addon (%o) and serves', async (env) => {
    const { proc, out, port } = await startBin(env);
    expect(out).toMatch(new RegExp(`Parser: +native \\(prebuilt addon prebuilds/${tuple}/node\\.napi\\.glibc\\.node\\)`));
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    const sub = nc.subscribe('pkg.test', { max: 1 });
    nc.publish('pkg.test', 'hello');
    for await (const m of sub) expect(m.string()).toBe('hello');
    await nc.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }, 60_000);

  it('imports as a library with its types', () => {
    const consumer = `import { startServer, type ServerHandle, type Varz } from 'tsnats';

const s: ServerHandle = await startServer({ host: '127.0.0.1', port: -1 });
const v: Varz = s.varz();
console.log(JSON.stringify({ parser: v.parser, port: s.port > 0 }));
await s.shutdown();
`;
    writeFileSync(join(app, 'consumer.ts'), consumer);
    // a type error is reported too (the check is a real one); the consumer itself has none
    writeFileSync(join(app, 'bad.ts'), `import { startServer } from 'tsnats';\nexport const n: number = await startServer();\n`);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out' }, files: ['consumer.ts', 'bad.ts'] }),
    );
    let report = '';
    try {
      run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    } catch (e) {
      report = String((e as { stdout?: string }).stdout);
    }
    expect(report.trim().split('\n')).toEqual([expect.stringMatching(/^bad\.ts\(2,14\): error TS2322: Type 'ServerHandle' is not assignable to type 'number'\.$/)]);
    const printed = run(process.execPath, [join(app, 'out', 'consumer.js')], app);
    expect(JSON.parse(printed)).toEqual({ parser: 'native', port: true });
  }, 120_000);
});
