/**
 * The time series of a run: one point per interval (the scenario's quantum), taken at the
 * interval's end by a process of its own. Each interval costs one pass over the processes'
 * regions, the vmstat counters, the migrate reasons and the flow model's resources, whatever
 * happened in it; the values go into typed arrays sized for the run, made for a counter,
 * reason or resource when it first moves.
 *
 * At an interval's end the application threads have already accounted their quantum (they
 * were started before the recorder, and the simulator runs processes due at the same time in
 * the order they were scheduled).
 */
import type { CpuTime } from "../../copy/workqueue.js";
import type { Kernel } from "../../migrate/kernel.js";
import { MIGRATE_REASON_ENUM } from "../../migrate/modes.js";
import type { App } from "./app.js";
import { CPU_KINDS, type CpuByKind, cpuLanes, cpuTimeByKind, spreadCpu } from "./cpu-kinds.js";
import type { MoverStats } from "./movers.js";

/** A migrate reason's rate over each interval. */
export interface ReasonSeries {
  /** Folios migrated (moved to their destination) per second. */
  foliosPerSec: number[];
  /** Their bytes per ns (GB/s). */
  gbps: number[];
}

/** What the machine did over time, one point per interval (at its end). */
export interface ScenarioSeries {
  intervalNs: number;
  /** End of each interval, ns. */
  timeNs: number[];
  processes: {
    name: string;
    /** The process's pid on the emulated machine (the model spawns them in scenario order). */
    pid: number;
    /** Operations per second over each interval, all the process's threads. */
    opsPerSec: number[];
    /** Bytes of the process's regions on each node at each point (as `numastat -p`). */
    bytesByNode: Record<string, number[]>;
  }[];
  /** GB/s the movers migrated over each interval. */
  migrationGBps: number[];
  /** /proc/vmstat counters that moved during the run, by name: their change over each interval. */
  vmstat: Record<string, number[]>;
  /** Migrations by enum migrate_reason name (`MR_SYSCALL`), for the reasons that migrated any. */
  migrations: Record<string, ReasonSeries>;
  /**
   * CPU time of each kind within each interval, ns (cpu-kinds.ts): what the model charged, no
   * more than the kind's CPUs could run in the interval (the rest counts in the next).
   */
  cpuNs: Record<keyof CpuByKind, number[]>;
  /**
   * Utilisation of each resource of the flow model (memory controllers, links, DMA engines) that
   * carried anything during the run: bytes it carried within each interval over what its
   * capacity could carry in it, 0..1.
   */
  utilisation: Record<string, number[]>;
}

/** The interval ends of a run: quantum, 2 quanta, ... up to the duration. */
function intervalEnds(startNs: number, quantumNs: number, endNs: number): number[] {
  const ends: number[] = [];
  for (let t = startNs + quantumNs; t <= endNs; t += quantumNs) ends.push(t);
  return ends;
}

/** Sets interval `i` of arrays[j] (of `n` intervals), making the array on its first value. */
function put(arrays: (Float64Array | undefined)[], j: number, n: number, i: number, v: number) {
  let a = arrays[j];
  if (a === undefined) {
    a = new Float64Array(n);
    arrays[j] = a;
  }
  a[i] = v;
}

/**
 * `values` as a plain array, each divided by `per` (1: as they are), by index: a spread or
 * Array.from goes through the typed array's iterator, slowly for a run's every interval.
 */
export function plain(values: Float64Array, per = 1): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = per === 1 ? values[i] : values[i] / per;
  return out;
}

/** The named arrays that were made (something moved), as plain arrays, in the given order. */
function moved(named: Iterable<[string, Float64Array | undefined]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, values] of named) if (values !== undefined) out[name] = plain(values);
  return out;
}

/** An application's operations per second in each of `n` intervals of `quantumNs`. */
function opsPerSec(app: App, n: number, quantumNs: number): number[] {
  const sum = new Float64Array(n);
  for (const t of app.threads) {
    const ops = t.opsPerQuantum;
    // A process that started late counts its quanta from its start.
    const first = Math.floor(t.startNs / quantumNs);
    for (let i = Math.max(0, first); i < Math.min(n, first + ops.length); i++) {
      sum[i] += ops[i - first];
    }
  }
  return plain(sum, quantumNs / 1e9);
}

export interface SeriesSources {
  apps: readonly App[];
  movers: readonly MoverStats[];
  /** The migrator's copy threads' CPU time, if it has threads. */
  copyThreads: CpuTime | undefined;
}

/**
 * Start recording the series of `k`'s run from now until `durationNs`, an interval of
 * `quantumNs`; call the returned function after the run for the series.
 */
export function recordSeries(
  k: Kernel,
  quantumNs: number,
  durationNs: number,
  src: SeriesSources,
): () => ScenarioSeries {
  const timeNs = intervalEnds(k.sim.now, quantumNs, durationNs);
  const n = timeNs.length;
  const nodes = k.profile.topology.nodes.map((nd) => nd.id);
  const bytes = src.apps.map(() => nodes.map(() => new Float64Array(n)));
  const migration = new Float64Array(n);
  const vmNames = Object.keys(k.ctx.vmstat.snapshot());
  // The counters read in place each interval, in the snapshot's order.
  const readVm = (out: Float64Array) => k.ctx.vmstat.read(out);
  // Counters, reasons and resources get their arrays when they first move: memory grows with
  // what happened, not with what the model could count.
  const vm: (Float64Array | undefined)[] = vmNames.map(() => undefined);
  const reasonFolios: (Float64Array | undefined)[] = MIGRATE_REASON_ENUM.map(() => undefined);
  const reasonBytes: (Float64Array | undefined)[] = MIGRATE_REASON_ENUM.map(() => undefined);
  const cpu = CPU_KINDS.map(() => new Float64Array(n));
  /** Per resource id (resources appear during the run: DMA engines on first use). */
  const carried: (Float64Array | undefined)[] = [];

  const moverBytes = () => {
    let b = 0;
    for (const m of src.movers) b += m.bytesMoved;
    return b;
  };
  // Scratch for each interval's CPU time, in CPU_KINDS order: no objects per interval.
  const kinds = CPU_KINDS.length;
  let lastCpu = new Float64Array(kinds);
  let nowCpu = new Float64Array(kinds);
  const charged = new Float64Array(kinds);
  const lanes = new Float64Array(kinds);
  const carry = new Float64Array(kinds);
  const ran = new Float64Array(kinds);
  k.sim.spawn(
    (function* () {
      let lastMoved = moverBytes();
      let lastVm = new Float64Array(vmNames.length);
      let nowVm = new Float64Array(vmNames.length);
      readVm(lastVm);
      const lastFolios = Float64Array.from(k.migratedFolios);
      const lastBytes = Float64Array.from(k.migratedBytes);
      cpuTimeByKind(src.apps, src.movers, src.copyThreads, lastCpu);
      const lastCarried = k.net.resources.map((r) => r.bytesCarried);
      for (let i = 0; i < n; i++) {
        yield timeNs[i] - k.sim.now;
        for (let pi = 0; pi < src.apps.length; pi++) {
          const regions = src.apps[pi].regions;
          for (let ni = 0; ni < nodes.length; ni++) {
            let b = 0;
            for (const r of regions) b += r.bytesByNode.get(nodes[ni]) ?? 0;
            bytes[pi][ni][i] = b;
          }
        }
        const nowMoved = moverBytes();
        migration[i] = (nowMoved - lastMoved) / quantumNs;
        lastMoved = nowMoved;
        readVm(nowVm);
        for (let j = 0; j < vmNames.length; j++) {
          const d = nowVm[j] - lastVm[j];
          if (d !== 0) put(vm, j, n, i, d);
        }
        const vmWas = lastVm;
        lastVm = nowVm;
        nowVm = vmWas;
        for (let r = 0; r < MIGRATE_REASON_ENUM.length; r++) {
          const folios = k.migratedFolios[r] - lastFolios[r];
          if (folios === 0) continue;
          put(reasonFolios, r, n, i, folios);
          put(reasonBytes, r, n, i, k.migratedBytes[r] - lastBytes[r]);
          lastFolios[r] = k.migratedFolios[r];
          lastBytes[r] = k.migratedBytes[r];
        }
        cpuTimeByKind(src.apps, src.movers, src.copyThreads, nowCpu);
        for (let j = 0; j < kinds; j++) charged[j] = nowCpu[j] - lastCpu[j];
        cpuLanes(src.apps, src.movers, src.copyThreads, lanes);
        spreadCpu(charged, lanes, quantumNs, carry, ran);
        for (let j = 0; j < kinds; j++) cpu[j][i] = ran[j];
        const cpuWas = lastCpu;
        lastCpu = nowCpu;
        nowCpu = cpuWas;
        for (const r of k.net.resources) {
          const now = r.bytesCarried;
          const b = now - (lastCarried[r.id] ?? 0);
          if (b !== 0) put(carried, r.id, n, i, b);
          lastCarried[r.id] = now;
        }
      }
    })(),
    "series recorder",
  );

  return () => {
    const seconds = quantumNs / 1e9;
    const resources = k.net.resources;
    return {
      intervalNs: quantumNs,
      timeNs,
      processes: src.apps.map((app, pi) => ({
        name: app.name,
        pid: app.task.pid,
        opsPerSec: opsPerSec(app, n, quantumNs),
        bytesByNode: Object.fromEntries(
          nodes.map((nid, ni) => [String(nid), plain(bytes[pi][ni])]),
        ),
      })),
      migrationGBps: plain(migration),
      vmstat: moved(vmNames.map((name, j) => [name, vm[j]])),
      migrations: Object.fromEntries(
        MIGRATE_REASON_ENUM.flatMap((name, r) => {
          const folios = reasonFolios[r];
          const bytes = reasonBytes[r];
          if (folios === undefined || bytes === undefined) return [];
          return [[name, { foliosPerSec: plain(folios, seconds), gbps: plain(bytes, quantumNs) }]];
        }),
      ),
      cpuNs: Object.fromEntries(CPU_KINDS.map((kind, j) => [kind, plain(cpu[j])])) as Record<
        keyof CpuByKind,
        number[]
      >,
      utilisation: moved(
        resources.map((r): [string, Float64Array | undefined] => [
          r.name,
          carried[r.id]?.map((b) => b / (r.capacity * quantumNs)),
        ]),
      ),
    };
  };
}
