/**
 * The machine's shared-bandwidth resources and the route a copy takes through them.
 *
 * Model (AMD EPYC, Zen 2-4): each socket has one IO die holding the memory controllers and the
 * socket-to-socket (xGMI) links; each CCD reaches its IO die over one Infinity Fabric link that
 * is wider for reads (IO die -> CCD) than for writes. A core copying a page reads the source
 * into the core and writes it back out, so the bytes cross:
 *
 *   src memory -> [xGMI src socket -> cpu socket] -> CCD read link -> core
 *   core -> CCD write link -> [xGMI cpu socket -> dst socket] -> dst memory
 *
 * A copy that touches the other socket's memory is also bounded by the limits of coherent CPU
 * traffic, which the published placement table (T4) shows and the raw link widths do not: a
 * CCD keeps a bounded number of misses in flight, so its cross-socket bandwidth is capped by
 * latency (`ccdRemoteGBps`, ~11 GB/s however many of its cores copy); the CCDs of one IO-die
 * quadrant share its port (`quadrantRemoteGBps`), a socket's quadrants share the socket's
 * (`socketRemoteGBps`), and all of it shares the machine's coherent cross-socket bandwidth
 * (`coherentRemoteGBps`). DMA engines write without coherence round trips and are bounded by
 * the xGMI link itself.
 *
 * Every resource is a capacity in bytes per nanosecond (= GB/s); concurrent flows share each
 * resource they cross (max-min). The IO die's internal crossbar is taken to be non-blocking.
 */
import type { LoadedProfile } from "./loaded-profile.js";

/** Whatever creates shared-bandwidth resources (the sim layer's flow network). */
export interface ResourceNet<R> {
  addResource(name: string, capacity: number): R;
}

export interface Fabric<R> {
  readonly profile: LoadedProfile;
  /** Memory controllers of each node, by node id: `mem<nid>`. */
  readonly mem: readonly R[];
  /** IO die -> CCD link of each CCD, by global CCD index: `ccd<i>.rd`. */
  readonly ccdRead: readonly R[];
  /** CCD -> IO die link of each CCD, by global CCD index: `ccd<i>.wr`. */
  readonly ccdWrite: readonly R[];
  /** Cross-socket traffic limit of each CCD, by global CCD index: `ccd<i>.remote`. */
  readonly ccdRemote: readonly R[];
  /** Cross-socket traffic limit of each IO-die quadrant: `quad<q>.remote`. */
  readonly quadrantRemote: readonly R[];
  /** Coherent cross-socket traffic limit of each socket: `sock<s>.remote`. */
  readonly socketRemote: readonly R[];
  /** The machine's coherent cross-socket traffic limit: `coherent.remote`. */
  readonly coherentRemote: R;
  /** Socket a -> socket b link at index a * sockets + b: `xgmi<a>-><b>`; none for a === b. */
  readonly interSocket: readonly (R | undefined)[];
}

/** Creates every resource of the profile's fabric in `net`. */
export function buildFabric<R>(profile: LoadedProfile, net: ResourceNet<R>): Fabric<R> {
  const { fabric, topology } = profile;
  const mem: R[] = [];
  for (let nid = 0; nid < profile.nodeCount; nid++) {
    const node = profile.topology.nodes.find((n) => n.id === nid);
    mem.push(net.addResource(`mem${nid}`, node?.memoryGBps ?? fabric.memoryGBps));
  }
  const ccdRead: R[] = [];
  const ccdWrite: R[] = [];
  const ccdRemote: R[] = [];
  for (let i = 0; i < profile.ccds; i++) {
    ccdRead.push(net.addResource(`ccd${i}.rd`, fabric.ccdReadBytesPerClk * fabric.fclkGHz));
    ccdWrite.push(net.addResource(`ccd${i}.wr`, fabric.ccdWriteBytesPerClk * fabric.fclkGHz));
    ccdRemote.push(net.addResource(`ccd${i}.remote`, fabric.ccdRemoteGBps));
  }
  const quadrantRemote: R[] = [];
  for (let q = 0; q < topology.sockets * quadrantsPerSocket(profile); q++) {
    quadrantRemote.push(net.addResource(`quad${q}.remote`, fabric.quadrantRemoteGBps));
  }
  const socketRemote: R[] = [];
  for (let s = 0; s < topology.sockets; s++) {
    socketRemote.push(net.addResource(`sock${s}.remote`, fabric.socketRemoteGBps));
  }
  const coherentRemote = net.addResource("coherent.remote", fabric.coherentRemoteGBps);
  const interSocket: (R | undefined)[] = [];
  for (let a = 0; a < topology.sockets; a++) {
    for (let b = 0; b < topology.sockets; b++) {
      interSocket.push(
        a === b ? undefined : net.addResource(`xgmi${a}->${b}`, fabric.interSocketGBps),
      );
    }
  }
  return {
    profile,
    mem,
    ccdRead,
    ccdWrite,
    ccdRemote,
    quadrantRemote,
    socketRemote,
    coherentRemote,
    interSocket,
  };
}

/**
 * The resources a copy by `cpu` from node `srcNid` to node `dstNid` crosses, in the order the
 * bytes travel. Fills and returns `out` (cleared first) so callers can reuse one array.
 */
export function copyPath<R>(
  fabric: Fabric<R>,
  cpu: number,
  srcNid: number,
  dstNid: number,
  out: R[] = [],
): R[] {
  const p = fabric.profile;
  const sockets = p.topology.sockets;
  const cpuSocket = p.socketOfCpu(cpu);
  const srcSocket = p.socketOfNode(srcNid);
  const dstSocket = p.socketOfNode(dstNid);
  const ccd = p.ccdOfCpu(cpu);
  out.length = 0;
  out.push(fabric.mem[srcNid]);
  if (srcSocket !== cpuSocket) out.push(fabric.interSocket[srcSocket * sockets + cpuSocket] as R);
  out.push(fabric.ccdRead[ccd]);
  if (srcSocket !== cpuSocket || dstSocket !== cpuSocket) {
    out.push(
      fabric.ccdRemote[ccd],
      fabric.quadrantRemote[quadrantOfCcd(p, ccd)],
      fabric.socketRemote[cpuSocket],
      fabric.coherentRemote,
    );
  }
  out.push(fabric.ccdWrite[ccd]);
  if (dstSocket !== cpuSocket) out.push(fabric.interSocket[cpuSocket * sockets + dstSocket] as R);
  out.push(fabric.mem[dstNid]);
  return out;
}

/**
 * The resources a core's reads from node `nid` cross (an application's memory traffic): the
 * node's memory, the link to the core's socket when remote with the coherent cross-socket
 * limits, and the core's CCD read link.
 */
export function readPath<R>(fabric: Fabric<R>, cpu: number, nid: number, out: R[] = []): R[] {
  const p = fabric.profile;
  const cpuSocket = p.socketOfCpu(cpu);
  const memSocket = p.socketOfNode(nid);
  const ccd = p.ccdOfCpu(cpu);
  out.length = 0;
  out.push(fabric.mem[nid]);
  if (memSocket !== cpuSocket) {
    out.push(
      fabric.interSocket[memSocket * p.topology.sockets + cpuSocket] as R,
      fabric.ccdRemote[ccd],
      fabric.quadrantRemote[quadrantOfCcd(p, ccd)],
      fabric.socketRemote[cpuSocket],
      fabric.coherentRemote,
    );
  }
  out.push(fabric.ccdRead[ccd]);
  return out;
}

function quadrantsPerSocket(p: LoadedProfile): number {
  return Math.ceil(p.topology.ccdsPerSocket / p.fabric.ccdsPerQuadrant);
}

/** Global index of the IO-die quadrant a CCD (global index) attaches to; never spans sockets. */
export function quadrantOfCcd(p: LoadedProfile, ccd: number): number {
  const perSocket = p.topology.ccdsPerSocket;
  const socket = Math.floor(ccd / perSocket);
  return socket * quadrantsPerSocket(p) + Math.floor((ccd % perSocket) / p.fabric.ccdsPerQuadrant);
}
