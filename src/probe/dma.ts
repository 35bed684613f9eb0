/**
 * DMA engines (/sys/class/dma/dma<N>chan<M>) and the parameters of the offload series'
 * modules (/sys/module/{dcbm,mtcopy}/parameters).
 */
import { type HostFs, readInt, readTrimmed, Unreadable } from "./host-fs.js";
import type { DmaEngine } from "./types.js";

const DMA_DIR = "/sys/class/dma";

/** Drivers whose engines pagemig models, and the profile kind of each. */
export const DMA_KINDS: Readonly<Record<string, "ptdma" | "dsa" | "sdxi">> = {
  ptdma: "ptdma",
  idxd: "dsa",
  sdxi: "sdxi",
};

/** The DMA_KINDS kind of a driver; undefined for one pagemig does not model. */
export function dmaKind(driver: string | null): "ptdma" | "dsa" | "sdxi" | undefined {
  return driver !== null && Object.hasOwn(DMA_KINDS, driver) ? DMA_KINDS[driver] : undefined;
}

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

/** Stands for the value of a parameter only root may read (mode 0400), so a user's probe goes on. */
export const UNREADABLE = "(unreadable)";

/** Every parameter of a loaded module, by name; null when the module is not loaded. */
export function readModuleParams(fs: HostFs, module: string): Record<string, string> | null {
  if (fs.list(`/sys/module/${module}`) === undefined) return null;
  const dir = `/sys/module/${module}/parameters`;
  const params: Record<string, string> = {};
  for (const name of fs.list(dir) ?? []) {
    try {
      params[name] = readTrimmed(fs, `${dir}/${name}`) ?? "";
    } catch (err) {
      if (!(err instanceof Unreadable)) throw err;
      params[name] = UNREADABLE;
    }
  }
  return params;
}
