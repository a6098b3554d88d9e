// The layer seams of design.md §2, read from the import lines of every source file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The specifiers of a file's import and export-from lines (type-only too) and of its import() calls. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2]);
}

/** layer → import specifiers (relative paths resolved to src/<layer>/, or node: modules) it must not use. */
const FORBIDDEN: Record<string, RegExp[]> = {
  protocol: [/^node:net$/, /\/client\//, /\/server\//, /\/subjects\//, /\/native\//, /\.node$/],
  subjects: [/^node:/, /\/protocol\//, /\/client\//, /\/server\//, /\/native\//],
  client: [/\/server\//, /^node:(net|timers)$/, /\/native\//],
  // An Account sees clients and routes through the delivery seam it declares (ClientLink,
  // RouteLink): it never imports a kind of connection, nor the server that owns them.
  accounts: [/\/client\//, /\/server\//, /\/cluster\//, /\/monitor\//, /\/native\//, /\.node$/],
  cluster: [/\/server\//, /\/monitor\//, /\/native\//, /\.node$/],
  // JetStream talks to the server through its host seam (jetstream/host.ts) and to accounts
  // through their delivery seam: never a kind of connection, the server or the monitor.
  jetstream: [/\/client\//, /\/server\//, /\/cluster\//, /\/monitor\//, /\/native\//, /\.node$/],
  // The system account's services talk to the server through their host seam (sys/host.ts) and
  // to accounts through their delivery seam; of the monitor they use Go's JSON formats alone
  // (the snapshots come through the host).
  sys: [/\/client\//, /\/server\//, /\/cluster\//, /\/jetstream\//, /\/monitor\/(?!go-format\.js$)/, /\/native\//, /\.node$/],
  // WebSocket connections hand bytes to a Client and take its output (design.md §7): they see
  // the server only as a type (checked below), never routes or monitoring.
  websocket: [/\/cluster\//, /\/monitor\//, /\/accounts\//, /\/native\//, /\.node$/, /\/server\/(?!server\.js$|logger\.js$)/],
  // Leaf nodes talk to the server through their host seam (leaf/host.ts) and to accounts through
  // the delivery seam; they share the route protocol's parser, documents, message heads, the
  // connection base class (link.ts) and interest weights with cluster/ (never its route manager
  // or routes) and the TLS helpers with the client listener, and never see clients, the server
  // or the monitor.
  leaf: [/\/client\/client\.js$/, /\/server\/(?!tls\.js$)/, /\/monitor\//, /\/jetstream\//, /\/native\//, /\.node$/, /\/cluster\/(?!route-parser\.js$|route-info\.js$|interest\.js$|msg-head\.js$|link\.js$)/],
  // Helpers every layer may use (the reactor, host:port): they use no other layer.
  util: [/\/(accounts|client|cluster|config|jetstream|leaf|monitor|native|protocol|server|subjects|sys)\//, /\.node$/],
};

describe('layer seams', () => {
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const layer = rel.split('/')[0];
    const rules = FORBIDDEN[layer];
    if (!rules) continue;
    it(`${rel} imports only what its layer may`, () => {
      const resolved = imports(file).map((spec) =>
        spec.startsWith('.') ? '/' + relative(SRC, join(file, '..', spec)).replace(/\\/g, '/') : spec,
      );
      const bad = resolved.filter((spec) => rules.some((r) => r.test(spec)));
      expect(bad).toEqual([]);
    });
  }

  it('src/monitor/ and src/websocket/ import the Server as a type, never its code', () => {
    const bad: string[] = [];
    for (const file of [...files(join(SRC, 'monitor')), ...files(join(SRC, 'websocket'))]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        if (m[2].includes('/server/') && !m[1]) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('JetStream is loaded only when enabled: outside src/jetstream/, its code is reached by import() alone', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      if (relative(SRC, file).startsWith('jetstream/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        if (m[2].includes('/jetstream/') && !m[1]) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
    expect(readFileSync(join(SRC, 'server', 'server.ts'), 'utf8')).toContain("await import('../jetstream/index.js')");
  });

  it('the system account\'s services load with a system account: outside src/sys/, their code is reached by import() alone', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      if (relative(SRC, file).startsWith('sys/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        if (m[2].includes('/sys/') && !m[1]) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
    expect(readFileSync(join(SRC, 'server', 'server.ts'), 'utf8')).toContain("await import('../sys/index.js')");
  });

  it('src/ has no import cycles (type-only imports count): every strongly connected component is one file', () => {
    // The graph: file → the src/ files its relative specifiers name (`x.js` is the source `x.ts`).
    const graph = new Map<string, string[]>();
    const unresolved: string[] = [];
    for (const file of files(SRC)) {
      const deps: string[] = [];
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = join(file, '..', spec).replace(/\.js$/, '.ts');
        if (existsSync(target)) deps.push(relative(SRC, target));
        else unresolved.push(`${relative(SRC, file)}: ${spec}`);
      }
      graph.set(relative(SRC, file), deps);
    }
    expect(unresolved).toEqual([]);
    expect(graph.size).toBeGreaterThan(50);
    // Tarjan's strongly connected components.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, index.size);
      low.set(v, index.get(v)!);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v)!) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(circles).toEqual([]);
  });

  it('leaf nodes are loaded only when configured: outside src/leaf/, their code is reached through leaf/index.ts alone', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      if (relative(SRC, file).startsWith('leaf/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        if (m[2].includes('/leaf/') && !m[1] && !m[2].endsWith('/leaf/index.js')) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
    expect(readFileSync(join(SRC, 'leaf', 'index.ts'), 'utf8')).toContain("await import('./leafnodes.js')");
  });

  it('@nats-io/jwt is loaded on first use (operator mode): src/ imports only its types', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*from\s+['"]@nats-io\/jwt['"]/gm)) {
        if (!m[1]) bad.push(`${relative(SRC, file)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only src/native/load.ts loads a .node file', () => {
    const loaders = files(SRC).filter((f) => /createRequire|\.node['"]/.test(readFileSync(f, 'utf8')));
    expect(loaders.map((f) => relative(SRC, f)).sort()).toEqual(['native/load.ts', 'util/lazy.ts']);
    // util/lazy.ts requires packages and built-ins named by literals, never a path or an addon.
    const lazy = readFileSync(join(SRC, 'util', 'lazy.ts'), 'utf8');
    const loads = [...lazy.matchAll(/\bload\(([^)]*)\)/g)].map((m) => m[1]);
    expect(loads.length).toBeGreaterThan(0);
    for (const arg of loads) expect(arg).toMatch(/^'(?:node:)?[a-z@][a-z0-9_/-]*'$/);
    expect(lazy).not.toMatch(/\.node['"]/);
  });

  it('hot files carry the hot-path header', () => {
    const hot = ['protocol/scanner.ts', 'protocol/batcher.ts', 'protocol/parser.ts', 'subjects/sublist.ts', 'client/outbound.ts', 'cluster/route-parser.ts'];
    for (const f of hot) {
      expect(readFileSync(join(SRC, f), 'utf8'), f).toContain('hot path: no allocation per message, no I/O');
    }
  });
});
