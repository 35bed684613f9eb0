/**
 * DMA engines (/sys/class/dma/dma<N>chan<M>) and the parameters of the offload series'
 * modules (/sys/module/{dcbm,mtcopy}/parameters).
 */
import { type HostFs, readInt, readTrimmed } from "./host-fs.js";
import type { DmaEngine } from "./types.js";

const DMA_DIR = "/sys/class/dma";

/** The engines with their channels, by engine number; the driver and node of the first channel. */
export function readDmaEngines(fs: HostFs): DmaEngine[] {
  const channels = new Map<number, { chan: number; name: string }[]>();
  for (const name of fs.list(DMA_DIR) ?? []) {
    const m = /^dma(\d+)chan(\d+)$/.exec(name);
    if (m === null) continue;
    const engine = Number(m[1]);
    channels.set(engine, [...(channels.get(engine) ?? []), { chan: Number(m[2]), name }]);
  }
  return [...channels.entries()]
    .sort(([a], [b]) => a - b)
    .map(([engine, chans]) => {
      const sorted = chans.sort((a, b) => a.chan - b.chan).map((c) => c.name);
      // The channel's device is the engine (a PCI function for PTDMA); its uevent names the
      // bound driver, which works on plain-file trees where a driver symlink would not.
      const device = `${DMA_DIR}/${sorted[0]}/device`;
      const uevent = fs.read(`${device}/uevent`);
      const driver = uevent === undefined ? null : (/^DRIVER=(.+)$/m.exec(uevent)?.[1] ?? null);
      const node = readInt(fs, `${device}/numa_node`);
      return {
        name: `dma${engine}`,
        channels: sorted,
        driver,
        node: node === undefined || node < 0 ? null : node,
      };
    });
}

/** Every readable parameter of a loaded module, by name; null when the module is not loaded. */
export function readModuleParams(fs: HostFs, module: string): Record<string, string> | null {
  if (fs.list(`/sys/module/${module}`) === undefined) return null;
  const dir = `/sys/module/${module}/parameters`;
  const params: Record<string, string> = {};
  for (const name of fs.list(dir) ?? []) params[name] = readTrimmed(fs, `${dir}/${name}`) ?? "";
  return params;
}
