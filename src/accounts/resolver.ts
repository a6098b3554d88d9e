// Account resolvers (nats-server accounts.go MemAccResolver, DirAccResolver): where operator
// mode finds an account's JWT by the account's public key. MEMORY holds what was stored
// (`resolver_preload`); the full resolver keeps each JWT as `<dir>/<public key>.jwt`.

import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolverConfig } from '../config/types.js';

/** nats-server ErrMissingAccount. */
export const ERR_MISSING_ACCOUNT = 'account missing';

export interface AccountResolver {
  readonly kind: ResolverConfig['type'];
  /** The account's JWT; throws Error (nats-server's text) when there is none. */
  fetch(pub: string): string;
  /** Stores (replaces) the account's JWT. */
  store(pub: string, jwt: string): void;
  /** Removes the account's JWT (the full resolver with allow_delete renames the file). */
  remove(pub: string): void;
}

export class MemoryResolver implements AccountResolver {
  readonly kind = 'memory';
  private readonly jwts = new Map<string, string>();

  fetch(pub: string): string {
    const jwt = this.jwts.get(pub);
    if (jwt === undefined) throw new Error(ERR_MISSING_ACCOUNT);
    return jwt;
  }

  store(pub: string, jwt: string): void {
    this.jwts.set(pub, jwt);
  }

  remove(pub: string): void {
    this.jwts.delete(pub);
  }
}

/** The full resolver's store: one `<public key>.jwt` file per account in `dir`. */
export class DirResolver implements AccountResolver {
  readonly kind = 'full';
  constructor(readonly dir: string) {}

  private file(pub: string): string {
    return join(this.dir, `${pub}.jwt`);
  }

  fetch(pub: string): string {
    let text: string;
    try {
      text = readFileSync(this.file(pub), 'utf8');
    } catch {
      // nats-server then asks the other servers over $SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP.
      throw new Error(ERR_MISSING_ACCOUNT);
    }
    if (text === '') throw new Error(ERR_MISSING_ACCOUNT);
    return text;
  }

  store(pub: string, jwt: string): void {
    writeFileSync(this.file(pub), jwt, { mode: 0o640 });
  }

  /** The accounts stored, in the directory walk's (lexical) order. */
  list(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jwt'))
      .map((f) => f.slice(0, -'.jwt'.length))
      .sort();
  }

  /** nats-server's RenameDeleted: the file becomes `<public key>.jwt.deleted`. */
  remove(pub: string): void {
    renameSync(this.file(pub), `${this.file(pub)}.deleted`);
  }
}

/** The configured resolver with `resolver_preload` stored in it (nats-server configureResolver). */
export function newResolver(cfg: ResolverConfig, preload: Readonly<Record<string, string>>): AccountResolver {
  const r: AccountResolver = cfg.type === 'memory' ? new MemoryResolver() : new DirResolver(cfg.dir);
  for (const [pub, jwt] of Object.entries(preload)) r.store(pub, jwt);
  return r;
}
