/**
 * The bandwidth bound of a configuration's copy: the rate its copiers (the task's core, N copy
 * threads or C DMA channels) reach together from one node to another when nothing else limits
 * them, and the cap or shared resource that sets it.
 *
 * Computed on a throwaway machine of the profile with the simulation's own pieces: the fabric
 * paths (copyPath, DmaDevice.path), the thread placement of MtCopy, the channel hand-out of
 * DmaEngines and the max-min sharing of the flow network. Nothing is simulated: the flows are
 * started and their rates read, which is what the copy runs at while all copiers are busy.
 */

import { dcbmChannels, MAX_DMA_CHANNELS } from "../copy/dcbm.js";
import { DmaEngines } from "../copy/dma-device.js";
import { checkMigratorOnProfile, type MigratorName, workerKind } from "../copy/engines.js";
import { MtCopy, type MtPlacement } from "../copy/mtcopy.js";
import { copyPath } from "../machine/fabric.js";
import type { LoadedProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import type { Flow, Resource } from "../sim/flows.js";

/** What a bandwidth analysis needs to know of a configuration. */
export interface CopyEngineConfig {
  migrator: MigratorName;
  /** Copy threads (mtcopy) or DMA channels (dcbm, dcbm-v2); 1 for the others. */
  workers: number;
  placement: MtPlacement;
  /** Folios per migrate_pages_batch() call: dcbm uses at most one channel per folio. */
  foliosPerBatch: number;
  fromNode: number;
  toNode: number;
  /** CPU of the task that makes the system call (its core copies for serial and batch-cpu). */
  taskCpu: number;
}

/** One limit on a copy: a copier's own rate cap, or a resource of the fabric or a DMA engine. */
export interface Limit {
  /** The resource's name in the flow network (`ccd0.remote`, `ptdma0`), or `cap`. */
  name: string;
  /** A copier's own cap, a link or memory of the fabric, or a DMA engine. */
  resource: "cap" | "fabric" | "DMA engine";
  /** In words: "CCD 0's cross-socket traffic". */
  what: string;
  /** The profile parameter(s) it comes from. */
  param: string;
  capacityGBps: number;
  /** Copiers whose flows cross it (1 for a cap). */
  sharedBy: number;
}

export type Copier = "core" | "copy thread" | "DMA channel";

export interface CopyBandwidth {
  copier: Copier;
  /** Copiers running at once. */
  copiers: number;
  /** One copier's own rate cap: cpu.copyGBps or the DMA channel's channelGBps. */
  cap: Limit;
  /** All copiers together, GB/s. */
  rateGBps: number;
  /** The slowest copier's rate, GB/s. */
  perCopierGBps: number;
  /** What sets the rate: `cap` when every copier runs at its cap, else a saturated resource. */
  binding: Limit;
  /** The first copier's path, in the order the bytes travel. */
  path: Limit[];
  /** The slowest resource on that path: what one copier alone would meet after its cap. */
  slowestOnPath: Limit;
}

/** Copiers a batch of `foliosPerBatch` folios keeps busy, and on what. */
export function copiersOf(c: CopyEngineConfig): { copier: Copier; count: number } {
  switch (workerKind(c.migrator)) {
    case "threads":
      return { copier: "copy thread", count: c.workers };
    case "channels":
      // dcbm asks for no more channels than folios; dcbm-v2 asks for all but deals one folio
      // per descriptor round-robin, so both keep at most one channel per folio busy.
      return {
        copier: "DMA channel",
        count:
          c.migrator === "dcbm"
            ? dcbmChannels(c.workers, c.foliosPerBatch)
            : Math.min(c.workers, MAX_DMA_CHANNELS, c.foliosPerBatch),
      };
    default:
      return { copier: "core", count: 1 };
  }
}

export function copyBandwidth(profile: LoadedProfile, c: CopyEngineConfig): CopyBandwidth {
  checkMigratorOnProfile(c.migrator, profile);
  const k = new Kernel({ profile });
  const roles = resourceRoles(k);
  const wanted = copiersOf(c);
  const flows = startCopiers(k, c, wanted);
  const copier = wanted.copier;

  const limitOf = (r: Resource): Limit => ({
    name: r.name,
    ...roles(r),
    capacityGBps: r.capacity,
    sharedBy: flows.filter((f) => f.path.includes(r)).length,
  });
  let rate = 0;
  let slowest = flows[0];
  for (const f of flows) {
    rate += f.rate;
    if (f.rate < slowest.rate) slowest = f;
  }
  const cap: Limit = {
    name: "cap",
    resource: "cap",
    ...(copier === "DMA channel"
      ? { what: "one DMA channel's copy rate", param: "dma channelGBps" }
      : { what: "one core's copy rate", param: "cpu.copyGBps" }),
    capacityGBps: slowest.maxRate,
    sharedBy: 1,
  };
  let binding = cap;
  if (slowest.rate < slowest.maxRate * (1 - REL_EPS)) {
    // The slowest copier is held back by a saturated resource: the smallest one it crosses.
    let best: Resource | null = null;
    for (const r of slowest.path) {
      if (r.used >= r.capacity * (1 - REL_EPS) && (best === null || r.capacity < best.capacity)) {
        best = r;
      }
    }
    if (best !== null) binding = limitOf(best);
  }
  const path = flows[0].path.map(limitOf);
  return {
    copier,
    copiers: flows.length,
    cap,
    rateGBps: rate,
    perCopierGBps: slowest.rate,
    binding,
    path,
    slowestOnPath: path.reduce((a, b) => (b.capacityGBps < a.capacityGBps ? b : a)),
  };
}

/** A copy by `cpu`'s core as a flow: its fabric path, capped at the core's copy rate. */
function coreFlow(k: Kernel, c: CopyEngineConfig, cpu: number): Flow {
  return k.net.start(1, copyPath(k.fabric, cpu, c.fromNode, c.toNode), {
    maxRate: k.profile.cpu.copyGBps,
  });
}

/** One flow per copier a batch keeps busy. */
function startCopiers(
  k: Kernel,
  c: CopyEngineConfig,
  wanted: { copier: Copier; count: number },
): Flow[] {
  const flows: Flow[] = [];
  if (wanted.copier === "copy thread") {
    const mt = new MtCopy({ threads: c.workers, placement: c.placement });
    // Threads beyond the CPU count queue behind earlier ones on the same CPU.
    for (let t = 0; t < Math.min(wanted.count, k.profile.cpus); t++) {
      flows.push(coreFlow(k, c, mt.cpuOfThread(k.profile, t)));
    }
  } else if (wanted.copier === "DMA channel") {
    const engines = DmaEngines.of(k);
    for (let i = 0; i < wanted.count; i++) {
      const chan = engines.requestChannel();
      if (chan === null) break;
      flows.push(k.net.start(1, chan.device.path(c.fromNode, c.toNode), chan.device.flowOpts));
    }
  } else {
    flows.push(coreFlow(k, c, c.taskCpu));
  }
  return flows;
}

/** Rates within this relative distance of a capacity count as at it (max-min float residue). */
const REL_EPS = 1e-9;

type Role = Pick<Limit, "resource" | "what" | "param">;

/** What each resource of `k`'s fabric and DMA engines is, in words and profile parameters. */
function resourceRoles(k: Kernel): (r: Resource) => Role {
  const f = k.fabric;
  const roles = new Map<Resource, Role>();
  const add = (rs: readonly (Resource | undefined)[], what: (i: number) => string, param: string) =>
    rs.forEach((r, i) => {
      if (r !== undefined) roles.set(r, { resource: "fabric", what: what(i), param });
    });
  add(f.mem, (i) => `node ${i}'s memory`, "fabric.memoryGBps");
  add(f.ccdRead, (i) => `CCD ${i}'s read link`, "fabric.ccdReadBytesPerClk × fabric.fclkGHz");
  add(f.ccdWrite, (i) => `CCD ${i}'s write link`, "fabric.ccdWriteBytesPerClk × fabric.fclkGHz");
  add(f.ccdRemote, (i) => `CCD ${i}'s cross-socket traffic`, "fabric.ccdRemoteGBps");
  add(
    f.quadrantRemote,
    (i) => `IO-die quadrant ${i}'s cross-socket port`,
    "fabric.quadrantRemoteGBps",
  );
  add(
    f.socketRemote,
    (i) => `socket ${i}'s coherent cross-socket traffic`,
    "fabric.socketRemoteGBps",
  );
  add(
    [f.coherentRemote],
    () => "the machine's coherent cross-socket traffic",
    "fabric.coherentRemoteGBps",
  );
  const sockets = k.profile.topology.sockets;
  add(
    f.interSocket,
    (i) => `the socket ${Math.floor(i / sockets)}→${i % sockets} link`,
    "fabric.interSocketGBps",
  );
  for (const dev of DmaEngines.of(k).devices) {
    roles.set(dev.engine, {
      resource: "DMA engine",
      what: `DMA engine ${dev.name}`,
      param: "dma deviceGBps",
    });
  }
  return (r) => {
    const role = roles.get(r);
    if (role === undefined) throw new Error(`explain: resource ${r.name} has no known role`);
    return role;
  };
}
