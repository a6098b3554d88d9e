// Logging in nats-server's style: `[pid] 2006/01/02 15:04:05.000000 [INF] text`.

export type LogLevel = 'INF' | 'DBG' | 'TRC' | 'WRN' | 'ERR' | 'FTL';

export interface LoggerOptions {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
}

export class Logger {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  private readonly out: (line: string) => void;

  constructor(opts: LoggerOptions, out: (line: string) => void = (l) => process.stderr.write(l)) {
    this.debug = opts.debug;
    this.trace = opts.trace;
    this.logtime = opts.logtime;
    this.out = out;
  }

  log(level: LogLevel, text: string): void {
    if (level === 'DBG' && !this.debug) return;
    if (level === 'TRC' && !this.trace) return;
    const time = this.logtime ? timestamp(new Date()) + ' ' : '';
    this.out(`[${process.pid}] ${time}[${level}] ${text}\n`);
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
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`
  );
}
