// The process figures /varz reports: resident memory, CPU percentage and core counts, measured
// the way nats-server's pse package and Go's runtime do.

import os from 'node:os';

export interface ProcessUsage {
  /** Resident set size, bytes (nats-server: /proc/self/stat rss << 12). */
  rss: number;
  /** CPU use in percent of one core over the last sampling window, one decimal. */
  cpu: number;
}

/** nats-server samples CPU once a second; a reading is reused until it is this old. */
const CPU_WINDOW_MS = 1000;

let sampleAt = 0; // ms (performance.now) of the last sample; 0 = none yet
let sampleCpu = 0; // µs of user + system CPU at the last sample
let pcpu = 0;

/**
 * Reads memory now and CPU over the window since the previous reading (over the whole life of
 * the process for the first one). Like nats-server's pse, truncated to tenths of a percent.
 */
export function processUsage(): ProcessUsage {
  const now = performance.now();
  if (sampleAt === 0 || now - sampleAt >= CPU_WINDOW_MS) {
    const u = process.cpuUsage();
    const cpuUs = u.user + u.system;
    const elapsedUs = sampleAt === 0 ? process.uptime() * 1e6 : (now - sampleAt) * 1e3;
    if (elapsedUs > 0) pcpu = Math.floor(((cpuUs - sampleCpu) / elapsedUs) * 1000) / 10;
    sampleAt = now;
    sampleCpu = cpuUs;
  }
  return { rss: process.memoryUsage.rss(), cpu: pcpu };
}

/** Go's runtime.NumCPU (the CPUs this process may run on); also GOMAXPROCS' default. */
export function numCores(): number {
  return os.availableParallelism();
}
