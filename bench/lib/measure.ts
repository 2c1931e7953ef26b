// Timing helpers shared by the cases: wall clock, CPU, and "best of N".

export interface Sample {
  bytes: number;
  seconds: number;
  /** Process CPU (user + system) seconds spent during the sample, when measured. */
  cpuSeconds?: number;
}

/** Megabytes (10^6 bytes) per second. */
export function mbps(s: Sample): number {
  return s.bytes / s.seconds / 1e6;
}

/** CPU seconds per GiB moved. */
export function cpuPerGiB(s: Sample): number | undefined {
  return s.cpuSeconds === undefined ? undefined : s.cpuSeconds / (s.bytes / 2 ** 30);
}

/** Time an async job that moves `bytes` (returned by the job), with this process's CPU. */
export async function timed(job: () => Promise<number>): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const bytes = await job();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The fastest of the samples (throughput figures report the best run, as noise only slows). */
export function best(samples: Sample[]): Sample {
  if (samples.length === 0) throw new RangeError('no samples');
  return samples.reduce((a, b) => (mbps(b) > mbps(a) ? b : a));
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
