// Logging in nats-server's style (logger/log.go): `[pid] 2006/01/02 15:04:05.000000 [INF] text`,
// to stderr (labels coloured when stderr is a terminal) or to a log file (`-l`, `log_file`),
// with nats-server's size-based rotation (`log_size_limit`) and reopen on SIGUSR1.
//
// Lines are written synchronously, as nats-server's log.Logger does: a line logged just before
// the process exits is never lost.

import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

export type LogLevel = 'INF' | 'DBG' | 'TRC' | 'WRN' | 'ERR' | 'FTL';

export interface LoggerOptions {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
}

/** What `Logger.forOptions` reads: the levels plus where lines go. */
export interface LogTargetOptions extends LoggerOptions {
  /** '' = stderr. */
  logFile: string;
  /** Rotate the file past this many bytes (0 = never). */
  logSizeLimit: number;
}

const COLORS: Record<LogLevel, string> = { INF: '32', DBG: '36', WRN: '0;93', ERR: '31', FTL: '31', TRC: '33' };

/** An append-only log file with nats-server's rotation (fileLogger in logger/log.go). */
class LogFile {
  private fd: number;
  private size: number;
  limit = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o660);
    this.size = fstatSync(this.fd).size;
  }

  write(line: string): void {
    const n = writeSync(this.fd, line);
    this.size += n;
    if (this.limit > 0 && this.size > this.limit) this.rotate();
  }

  /** Renames the file to `<file>.YYYY.MM.DD.hh.mm.ss.nnnnnnnnn` and starts a new one. */
  private rotate(): void {
    closeSync(this.fd);
    const d = new Date();
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const bak =
      `${this.path}.${p(d.getFullYear(), 4)}.${p(d.getMonth() + 1)}.${p(d.getDate())}.` +
      `${p(d.getHours())}.${p(d.getMinutes())}.${p(d.getSeconds())}.${p(d.getMilliseconds() * 1_000_000, 9)}`;
    try {
      renameSync(this.path, bak);
    } catch {
      /* nats-server ignores a failed rename too */
    }
    this.fd = openSync(this.path, 'a', 0o660);
    this.size = 0;
    this.onRotate?.(bak);
  }

  onRotate: ((bak: string) => void) | null = null;

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export class Logger {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  /** Label colours (stderr on a terminal only). */
  colors = false;
  private out: (line: string) => void;
  private file: LogFile | null = null;

  /** Lines go to `out` (default: stderr). */
  constructor(opts: LoggerOptions, out: (line: string) => void = (l) => process.stderr.write(l)) {
    this.debug = opts.debug;
    this.trace = opts.trace;
    this.logtime = opts.logtime;
    this.out = out;
  }

  /**
   * The process logger nats-server's ConfigureLogger builds: the log file when one is set, else
   * stderr. Throws (fs error) when the file cannot be opened.
   */
  static forOptions(opts: LogTargetOptions): Logger {
    const l = new Logger(opts);
    l.setTarget(opts);
    return l;
  }

  /** The log file in use, '' for stderr or a custom sink. */
  get logFile(): string {
    return this.file?.path ?? '';
  }

  private setTarget(opts: LogTargetOptions): void {
    if (opts.logFile === '') {
      this.file?.close();
      this.file = null;
      this.out = (l) => process.stderr.write(l);
      this.colors = process.stderr.isTTY === true;
      return;
    }
    const f = new LogFile(opts.logFile);
    f.limit = opts.logSizeLimit;
    f.onRotate = (bak) => {
      // nats-server's logDirect: written straight to the new file, CRLF-terminated.
      f.write(this.format('INF', `Rotated log, backup saved as ${JSON.stringify(bak)}`).slice(0, -1) + '\r\n');
    };
    this.file?.close();
    this.file = f;
    this.colors = false;
    this.out = (l) => f.write(l);
  }

  /** Applies reloaded logging options (levels, timestamps, target). */
  configure(opts: LogTargetOptions): void {
    this.debug = opts.debug;
    this.trace = opts.trace;
    this.logtime = opts.logtime;
    if (opts.logFile !== this.logFile) this.setTarget(opts);
    else if (this.file) this.file.limit = opts.logSizeLimit;
  }

  /**
   * SIGUSR1: reopen the log file (after it was moved away by logrotate). Returns false when
   * logging does not go to a file. Throws when the file cannot be reopened.
   */
  reopen(): boolean {
    if (!this.file) return false;
    const f = this.file;
    this.setTarget({ debug: this.debug, trace: this.trace, logtime: this.logtime, logFile: f.path, logSizeLimit: f.limit });
    return true;
  }

  close(): void {
    this.file?.close();
    this.file = null;
    this.out = () => {};
  }

  private format(level: LogLevel, text: string): string {
    const time = this.logtime ? timestamp() + ' ' : '';
    const label = this.colors ? `[\x1b[${COLORS[level]}m${level}\x1b[0m]` : `[${level}]`;
    return `[${process.pid}] ${time}${label} ${text}\n`;
  }

  log(level: LogLevel, text: string): void {
    if (level === 'DBG' && !this.debug) return;
    if (level === 'TRC' && !this.trace) return;
    this.out(this.format(level, text));
  }

  info(text: string): void {
    this.log('INF', text);
  }
  warn(text: string): void {
    this.log('WRN', text);
  }
  error(text: string): void {
    this.log('ERR', text);
  }
  fatal(text: string): void {
    this.log('FTL', text);
  }
}

/** Go's log.LstdFlags|log.Lmicroseconds, local time, with real microseconds. */
function timestamp(): string {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const d = new Date(Math.floor(us / 1000));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(us % 1_000_000, 6)}`
  );
}

/** An fs error as Go prints an *os.PathError: `open /x/y: no such file or directory`. */
export function goPathError(err: unknown, op: string, path: string): string {
  const e = err as NodeJS.ErrnoException;
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(e?.message ?? '');
  return `${op} ${path}: ${m ? m[1] : String(e?.message ?? err)}`;
}
