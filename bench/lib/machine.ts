// The machine a run happened on, recorded beside every figure.
import { cpus, release, totalmem } from 'node:os';
import { runProcess } from './proc.js';

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  /** Debian package version of the OpenAFS servers and tools (afsio comes from openafs-client). */
  openafsPackages: Record<string, string>;
  /** What the file server answers to rxdebug -version, when the cell is up. */
  openafsFileServer?: string;
}

export async function machineInfo(fileServer?: string): Promise<MachineInfo> {
  const c = cpus();
  const info: MachineInfo = {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    openafsPackages: {},
  };
  const pkgs = ['openafs-fileserver', 'openafs-client'];
  // dpkg-query -W prints "package<TAB>version" lines.
  const q = await runProcess('dpkg-query', ['-W', ...pkgs]).catch(() => undefined);
  for (const line of q?.stdout.split('\n') ?? []) {
    const [name, version] = line.trim().split('\t');
    if (name && version) info.openafsPackages[name] = version;
  }
  if (fileServer) {
    const r = await runProcess('rxdebug', [fileServer, '7000', '-version'], { timeoutMs: 15_000 }).catch(
      () => undefined,
    );
    const v = /AFS version:\s*(.*)/.exec(r?.stdout ?? '')?.[1]?.trim();
    if (v) info.openafsFileServer = v;
  }
  return info;
}
