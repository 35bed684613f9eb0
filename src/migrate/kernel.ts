/**
 * One booted machine: the emulated hardware of a profile, physical memory, the processes and
 * the counters, tracepoints and virtual clock that migration runs against.
 */

import { availableParallelism } from "node:os";
import { CopyWorkerPool } from "../content/workers.js";
import { MigrateOffload } from "../copy/migrator.js";
import { FaultInjector } from "../fault/inject.js";
import { buildFabric, copyPath, type Fabric } from "../machine/fabric.js";
import type { LoadedProfile } from "../machine/profile.js";
import { type NumaHintFaultHandler, numaHintFaultRestore } from "../mm/numa-hint.js";
import { PhysMem } from "../mm/phys.js";
import { Task } from "../mm/task.js";
import { Tracer } from "../mm/trace.js";
import { type MmContext, MmStruct } from "../mm/vm.js";
import { Vmstat } from "../mm/vmstat.js";
import { type SchedTask, Scheduler } from "../sched/scheduler.js";
import { NICE_0_LOAD } from "../sched/weights.js";
import { FlowNetwork, type Resource } from "../sim/flows.js";
import { Simulator } from "../sim/simulator.js";
import { Timeline } from "../sim/timeline.js";
import { Exec } from "./exec.js";
import { MAX_NUMNODES, MIGRATE_REASON_ENUM } from "./modes.js";

export interface KernelOptions {
  profile: LoadedProfile;
  seed?: number;
  /** Bytes mode: real page contents in shared memory. */
  contents?: boolean;
  /** NR_MAX_BATCHED_MIGRATION in base pages; the profile's value by default. */
  nrMaxBatchedMigration?: number;
  /** Record tracepoints (off by default: they cost time and memory). */
  trace?: boolean;
  /** Fault-injection spec (see fault/inject.ts); none by default. */
  inject?: string;
  /**
   * Bytes mode: copy engines copy on worker threads, concurrently with the simulation, as the
   * benchmark does; off, they copy on the main thread (cheaper to start, for many small runs).
   */
  hostWorkers?: boolean;
  /**
   * A busy machine: other nice-0 tasks always runnable on every CPU, sharing it with the
   * migrating task and the copy threads (a lone nice-0 task then gets 1/(cpuLoad + 1) of a
   * CPU). 0 (an idle machine, as in the published runs) by default.
   */
  cpuLoad?: number;
  /**
   * migrate_pages() defers its TLB flushes to one per batch (TTU_BATCH_FLUSH, Linux 6.3+ with
   * CONFIG_ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH); false models a kernel before 6.3, which flushed
   * and sent its IPIs for each entry it unmapped. True by default.
   */
  batchedUnmapTlbFlush?: boolean;
}

/** More runnable tasks per CPU than this is not a load anyone migrates under. */
export const MAX_CPU_LOAD = 64;

export class Kernel {
  readonly profile: LoadedProfile;
  readonly sim: Simulator;
  readonly phys: PhysMem;
  readonly ctx: MmContext;
  readonly costs: LoadedProfile["costs"];
  readonly nrMaxBatchedMigration: number;
  /** CONFIG_ARCH_ENABLE_THP_MIGRATION */
  readonly thpMigration: boolean;
  /** migrate_pages() batches its TLB flushes (KernelOptions.batchedUnmapTlbFlush). */
  readonly batchedUnmapTlbFlush: boolean;
  readonly tasks = new Map<number, Task>();
  /** Other tasks always runnable on each CPU (KernelOptions.cpuLoad). */
  readonly cpuLoad: number;
  /** Every CPU's runqueue: whatever uses a CPU gets it through here. */
  readonly sched: Scheduler;
  /** Each task's schedulable entity, made when it first runs kernel work. */
  private readonly entities = new Map<Task, SchedTask>();
  /**
   * Other traffic shares the links (applications run): the move phase's CPU copies run as
   * flows, to feel that load and add to it, rather than at their path's idle rate.
   */
  copyFlows = false;
  /**
   * Folios migrate_pages() moved to their destination, and their bytes, by enum
   * migrate_reason: a tally of the migrate:mm_migrate_pages tracepoint's `succeeded` per
   * `reason`, kept as each folio moves so that it can be read at any time, not only when a call
   * returns. A folio found freed under the migration counts in pgmigrate_success but moves
   * nothing, so not here.
   */
  readonly migratedFolios = new Float64Array(MIGRATE_REASON_ENUM.length);
  readonly migratedBytes = new Float64Array(MIGRATE_REASON_ENUM.length);
  /**
   * migrate_pages() calls by reason, and the folios they were given: the batch each caller
   * offers the copy engine (a NUMA hint fault's call has one folio, reclaim's a shrink list).
   */
  readonly migrateCalls = new Float64Array(MIGRATE_REASON_ENUM.length);
  readonly migrateCallFolios = new Float64Array(MIGRATE_REASON_ENUM.length);
  /** The copy-offload registry: the active migrator and its reason mask. */
  readonly offload = new MigrateOffload();
  private nextPid = 1;
  private nextMmId = 1;
  /** Shared-bandwidth resources of the machine, for copies that run as flows. */
  readonly net: FlowNetwork;
  readonly fabric: Fabric<Resource>;
  readonly faults: FaultInjector;
  /** Who did what when, in virtual time; recorders test `timeline.enabled` first. */
  readonly timeline = new Timeline();
  /**
   * The task whose migration step is executing (the kernel's `current` in migrate_pages()),
   * whose clock and CPU the tracepoints carry; null outside one. Several migrations may be in
   * flight, each on its own task and CPU: core.ts sets this before every step a migration takes.
   */
  current: Exec | null = null;
  /**
   * What a NUMA hint fault runs (mm/numa-hint.ts): by default it counts the fault and makes
   * the entries accessible again; a placement policy installs do_numa_page() here.
   */
  numaHintFault: NumaHintFaultHandler = (fault) => numaHintFaultRestore(fault, this.ctx);
  private pool: CopyWorkerPool | null = null;
  private readonly hostWorkers: boolean;
  /** One core's copy rate between two nodes (bytes per ns), by cpu, source and destination. */
  private readonly copyRates = new Map<number, number>();
  private lastCopyKey = -1;
  private lastCopyRate = 1;

  constructor(opts: KernelOptions) {
    const profile = opts.profile;
    this.profile = profile;
    this.sim = new Simulator(opts.seed ?? 1);
    this.phys = new PhysMem(
      profile.topology.nodes.map((n) => ({ nid: n.id, bytes: profile.nodeBytes(n.id) })),
      { contents: opts.contents ?? false },
    );
    const trace = new Tracer();
    trace.enabled = opts.trace ?? false;
    // The task's own time, which is ahead of the simulator's by the CPU time it has charged.
    trace.clock = () => this.current?.now() ?? this.sim.now;
    trace.cpu = () => this.current?.task.cpu ?? 0;
    this.ctx = { phys: this.phys, trace, vmstat: new Vmstat() };
    this.costs = profile.costs;
    this.nrMaxBatchedMigration = opts.nrMaxBatchedMigration ?? profile.kernel.nrMaxBatchedMigration;
    this.thpMigration = profile.kernel.thpMigration;
    this.batchedUnmapTlbFlush = opts.batchedUnmapTlbFlush ?? true;
    this.net = new FlowNetwork(this.sim);
    this.fabric = buildFabric(profile, this.net);
    this.faults = new FaultInjector(opts.seed ?? 1, opts.inject ?? "");
    this.hostWorkers = opts.hostWorkers ?? false;
    this.cpuLoad = opts.cpuLoad ?? 0;
    if (!Number.isInteger(this.cpuLoad) || this.cpuLoad < 0 || this.cpuLoad > MAX_CPU_LOAD) {
      throw new RangeError(
        `Kernel: cpuLoad ${this.cpuLoad} is not an integer in 0..${MAX_CPU_LOAD}`,
      );
    }
    this.sched = new Scheduler(this.sim, profile.cpus, (cpu) => profile.ccdOfCpu(cpu));
    // The busy machine's N tasks on a CPU share it as one task of N times the weight would.
    if (this.cpuLoad > 0) {
      for (let cpu = 0; cpu < profile.cpus; cpu++) {
        const load = this.sched.addTask({
          name: `load/${cpu}`,
          kind: "load",
          cpu,
          weight: this.cpuLoad * NICE_0_LOAD,
        });
        this.sched.wake(load);
      }
    }
    // Start the copy workers now: they boot while the workload sets up, not inside a copy.
    this.copyPool;
  }

  /**
   * Bytes mode with host workers: the worker threads that really copy for DMA channels and
   * copy threads, one per host core (started on first use); null otherwise.
   */
  get copyPool(): CopyWorkerPool | null {
    const contents = this.phys.contents;
    if (contents === null || !this.hostWorkers) return null;
    this.pool ??= new CopyWorkerPool(contents, Math.max(1, Math.min(availableParallelism(), 8)));
    return this.pool;
  }

  /**
   * Stop the copy workers; the kernel must not copy afterwards. Await it before booting the
   * next machine in bytes mode: a worker lets go of the node memory only once it has ended.
   */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  /**
   * Bytes the host has really copied so far (main thread and workers) and the host ns spent
   * copying them; a caller takes the difference over the calls it times.
   */
  hostCopied(): { bytes: number; ns: number } {
    const c = this.phys.contents;
    if (c === null) return { bytes: 0, ns: 0 };
    const w = this.pool?.stats ?? { bytes: 0, busyNs: 0 };
    return { bytes: c.bytesCopied + w.bytes, ns: c.hostCopyNs + w.busyNs };
  }

  /** `task`'s schedulable entity (a migrating task of the root cgroup unless made before). */
  schedEntity(task: Task): SchedTask {
    let se = this.entities.get(task);
    if (se === undefined) {
      se = this.sched.addTask({ name: `pid ${task.pid}`, kind: "migrate", cpu: task.cpu });
      this.entities.set(task, se);
    }
    return se;
  }

  /** Give `task` its own entity: a nice level and a cgroup, before it first runs. */
  setSchedEntity(task: Task, opts: { nice?: number; cgroup?: string }): SchedTask {
    if (this.entities.has(task)) throw new Error(`Kernel: pid ${task.pid} already has an entity`);
    const se = this.sched.addTask({
      name: `pid ${task.pid}`,
      kind: "migrate",
      cpu: task.cpu,
      ...opts,
    });
    this.entities.set(task, se);
    return se;
  }

  /** A CPU meter for a kernel path `task` runs now (a syscall, a migration). */
  newExec(task: Task): Exec {
    return new Exec(task, this.sched, this.schedEntity(task));
  }

  /** A user process with its own address space, running on `cpu`. */
  spawnProcess(cpu = 0): Task {
    const mm = new MmStruct(this.nextMmId++, this.phys);
    mm.cpuMask.add(cpu);
    const task = new Task(this.nextPid++, cpu, mm);
    this.tasks.set(task.pid, task);
    return task;
  }

  /**
   * Another thread of `process` (CLONE_VM): its mm, on `cpu`, with a pid of its own and a copy
   * of its memory policy (copy_process()'s mpol_dup()).
   */
  spawnThread(process: Task, cpu: number): Task {
    const mm = process.mm;
    if (mm === null) throw new Error("spawnThread: a kernel thread has no mm to share");
    mm.cpuMask.add(cpu);
    const task = new Task(this.nextPid++, cpu, mm);
    task.mempolicy = process.mempolicy;
    this.tasks.set(task.pid, task);
    return task;
  }

  /** A kernel thread (no mm) on `cpu`, with a pid of its own. */
  spawnKthread(cpu: number): Task {
    const task = new Task(this.nextPid++, cpu, null);
    this.tasks.set(task.pid, task);
    return task;
  }

  /** N_MEMORY: the node exists and has memory. */
  nodeHasMemory(nid: number): boolean {
    return this.profile.topology.nodes.some((n) => n.id === nid) && this.phys.nodePages(nid) > 0;
  }

  /**
   * Time for one core to copy `bytes` from srcNid to dstNid when nothing else shares its
   * path: the slower of the core's own copy rate and every link the copy crosses.
   */
  cpuCopyNs(cpu: number, srcNid: number, dstNid: number, bytes: number): number {
    // Indexed by (cpu, src, dst): few distinct values, asked for once per folio, mostly the
    // same as the last time.
    const key = (cpu * MAX_NUMNODES + srcNid) * MAX_NUMNODES + dstNid;
    if (key === this.lastCopyKey) return bytes / this.lastCopyRate;
    const rates = this.copyRates;
    let rate = rates.get(key);
    if (rate === undefined) {
      rate = this.profile.cpu.copyGBps;
      for (const link of copyPath(this.fabric, cpu, srcNid, dstNid)) {
        rate = Math.min(rate, link.capacity);
      }
      rates.set(key, rate);
    }
    this.lastCopyKey = key;
    this.lastCopyRate = rate;
    return bytes / rate;
  }
}
