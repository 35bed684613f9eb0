/**
 * NUMA balancing (kernel.numa_balancing, kernel/sched/fair.c): each process's memory is made
 * PROT_NONE a window at a time by task_numa_work(), and the hint faults its threads then take
 * migrate misplaced folios to the faulting CPU's node (numa-fault.ts). The scan rate adapts as
 * the kernel's does: scan_size_mb per scan, a full pass of the address space every
 * scan_period, which task_numa_placement() and update_task_scan_period() shorten while the
 * faults are remote and private and lengthen once they are local (between the task's
 * task_scan_min() and task_scan_max(), from scan_period_min_ms and scan_period_max_ms).
 *
 * Simplifications (docs/model.md): the fault statistics and the scan period are kept per
 * process, not per thread (the kernel keeps them per thread, but mm->numa_next_scan lets one
 * thread scan per period); the threads take turns running the scan; no numa_group and no task
 * placement (numa_migrate_preferred() moving threads to the preferred node); no per-VMA scan
 * state (numab_state) or the 3% scan overhead cap (node_stamp += 32 x the scan's runtime).
 */
import type { Kernel } from "../migrate/kernel.js";
import type { MigrationRun } from "../migrate/run.js";
import { vmaMigratable } from "../migrate/vma.js";
import { type Folio, HPAGE_PMD_NR, HPAGE_PMD_SIZE, PAGE_SHIFT, PAGE_SIZE } from "../mm/folio.js";
import { changeProtNuma, type NumaHintFault } from "../mm/numa-hint.js";
import { Task } from "../mm/task.js";
import { type MmStruct, VM_EXEC, VM_READ, VM_WRITE } from "../mm/vm.js";
import type { PolicyContext } from "./index.js";
import {
  cpupidPidUnset,
  doNumaPage,
  NUMA_NO_NODE,
  type NumaTieringHooks,
  TNF_FAULT_LOCAL,
  TNF_MIGRATE_FAIL,
  TNF_MIGRATED,
  threadPid,
  vmaPolicyMof,
} from "./numa-fault.js";
import { NUMA_BALANCING_MEMORY_TIERING, type Sysctl } from "./sysctl.js";

/** NUMA_PERIOD_SLOTS, NUMA_PERIOD_THRESHOLD: aim for 70% local faults. */
const NUMA_PERIOD_SLOTS = 10;
const NUMA_PERIOD_THRESHOLD = 7;
/** Never scan more than MAX_SCAN_WINDOW MB per second. */
const MAX_SCAN_WINDOW = 2560;
const MS = 1e6;
/** TICK_NSEC with HZ=1000 (assumed: RHEL and Ubuntu 24.04 kernels build with HZ=1000). */
const TICK_NS = 1e6;

/** A process's NUMA balancing state: its mm's (numa_next_scan, ...) and its task's. */
export class NumaTask {
  /** mm->numa_next_scan, ns; mm->numa_scan_offset; mm->numa_scan_seq. */
  numaNextScan = 0;
  numaScanOffset = 0;
  mmScanSeq = 0;
  /** p->numa_scan_period and numa_scan_period_max, ms; 0 before the first scan. */
  scanPeriod = 0;
  scanPeriodMax = 0;
  /** p->numa_scan_seq: the mm's pass task_numa_placement() last saw. */
  scanSeq = 0;
  /** p->numa_preferred_nid */
  preferredNid = NUMA_NO_NODE;
  /** p->numa_migrate_retry, ns. */
  migrateRetry = 0;
  /** p->numa_faults_locality: remote, local, and migration failures, in pages. */
  readonly faultsLocality = [0, 0, 0];
  /** p->numa_faults NUMA_MEM (decayed) and NUMA_MEMBUF (since the last placement), per node x [shared, private]. */
  readonly faultsMem: Float64Array;
  readonly faultsMemBuf: Float64Array;
  /** p->numa_pages_migrated */
  pagesMigrated = 0;
  /** The threads' task_structs, by CPU: who scans and who migrates in fault context. */
  readonly threads = new Map<number, Task>();
  /** Each thread's migrations from its faults, by CPU and then target node (numa-fault.ts). */
  readonly faultRuns = new Map<number, MigrationRun[]>();
  /** The thread whose turn it is to run task_numa_work(). */
  nextScanner = 0;

  constructor(
    readonly task: Task,
    readonly mm: MmStruct,
    nodes: number,
  ) {
    this.faultsMem = new Float64Array(nodes * 2);
    this.faultsMemBuf = new Float64Array(nodes * 2);
  }
}

export class NumaBalancing {
  /** kernel.numa_balancing's bits. */
  readonly mode: number;
  /** The MEMORY_TIERING branch, installed by policy/tiering; null: NORMAL only. */
  tiering: NumaTieringHooks | null = null;
  private readonly tasks = new Map<MmStruct, NumaTask>();
  private readonly knobs: Sysctl["kernel"];
  private readonly nodes: number;

  constructor(
    readonly k: Kernel,
    sysctl: Sysctl,
    private readonly endNs: number,
  ) {
    this.mode = sysctl.kernel.numa_balancing;
    this.knobs = sysctl.kernel;
    this.nodes = Math.max(...k.profile.topology.nodes.map((n) => n.id)) + 1;
  }

  /** Install do_numa_page() and start each process's scanner (init_numa_balancing()). */
  start(processes: readonly Task[]): void {
    const k = this.k;
    k.numaHintFault = (fault) => doNumaPage(this, fault);
    for (const task of processes) {
      const mm = task.mm;
      if (mm === null) continue;
      const t = new NumaTask(task, mm, this.nodes);
      this.tasks.set(mm, t);
      t.numaNextScan = k.sim.now + this.knobs.numa_balancing_scan_delay_ms * MS;
      k.sim.spawn(this.scanner(t), `task_numa_work pid ${task.pid}`);
    }
  }

  taskOf(mm: MmStruct): NumaTask | undefined {
    return this.tasks.get(mm);
  }

  /** The task_struct of the process's thread on `cpu`, with the process's memory policy. */
  threadTask(t: NumaTask, cpu: number): Task {
    let task = t.threads.get(cpu);
    if (task === undefined) {
      task = new Task(t.task.pid, cpu, t.mm);
      task.mempolicy = t.task.mempolicy;
      t.threads.set(cpu, task);
    }
    return task;
  }

  /**
   * task_tick_numa() and task_work: whenever mm->numa_next_scan comes, one thread runs
   * task_numa_work() (the first time at scan_delay_ms, with the period task_scan_start()).
   */
  private *scanner(t: NumaTask): Generator<number, void, unknown> {
    const sim = this.k.sim;
    for (;;) {
      while (sim.now < t.numaNextScan) yield t.numaNextScan - sim.now;
      if (sim.now >= this.endNs) return;
      if (t.scanPeriod === 0) {
        t.scanPeriodMax = this.taskScanMax(t);
        t.scanPeriod = this.taskScanMin(t);
      }
      t.numaNextScan = sim.now + t.scanPeriod * MS;
      const cpus = [...t.mm.cpuMask].sort((a, b) => a - b);
      const cpu = cpus[t.nextScanner++ % cpus.length];
      const ns = this.taskNumaWork(t, this.threadTask(t, cpu));
      if (ns > 0) t.mm.access?.taskWork?.(cpu, ns);
      // task_tick_numa() runs from the scheduler tick: one scan per tick at most.
      yield TICK_NS;
    }
  }

  /** task_nr_scan_windows(): the process's resident pages in scan_size_mb windows. */
  private taskNrScanWindows(t: NumaTask): number {
    const nrScanPages = this.knobs.numa_balancing_scan_size_mb << (20 - PAGE_SHIFT);
    // Regions are faulted in whole: the RSS is the mapped size.
    let rss = 0;
    for (const vma of t.mm.vmas) rss += (vma.end - vma.start) / PAGE_SIZE;
    if (rss === 0) rss = nrScanPages;
    return Math.ceil(rss / nrScanPages);
  }

  /** task_scan_min(), ms: scan_period_min over the windows, not faster than MAX_SCAN_WINDOW MB/s. */
  taskScanMin(t: NumaTask): number {
    const size = this.knobs.numa_balancing_scan_size_mb;
    const windows = size < MAX_SCAN_WINDOW ? Math.floor(MAX_SCAN_WINDOW / size) : 1;
    const floor = Math.floor(1000 / windows);
    const scan = Math.floor(
      this.knobs.numa_balancing_scan_period_min_ms / this.taskNrScanWindows(t),
    );
    return Math.max(floor, scan);
  }

  /** task_scan_max(), ms (no numa_group to scale it). */
  taskScanMax(t: NumaTask): number {
    const smax = Math.floor(
      this.knobs.numa_balancing_scan_period_max_ms / this.taskNrScanWindows(t),
    );
    return Math.max(this.taskScanMin(t), smax);
  }

  /**
   * task_numa_work(): make the next scan_size_mb of the process's memory that has present
   * entries PROT_NONE (looking through at most 8x that much address space), from where the
   * last scan stopped, wrapping to the start (a new pass, numa_scan_seq + 1). Returns the
   * scan's CPU time, ns: per entry changed half of costs.pteNs (a PTE rewritten under the PTL,
   * as remove_migration_pte()'s half), per huge PMD half of costs.pmdNs, and the TLB flush of
   * each range changed (a local flush and an IPI per other CPU of the mm).
   */
  private taskNumaWork(t: NumaTask, thread: Task): number {
    const k = this.k;
    const mm = t.mm;
    const c = k.costs;
    const ev = k.ctx.vmstat.events;
    let pages = this.knobs.numa_balancing_scan_size_mb << (20 - PAGE_SHIFT);
    let virtpages = pages * 8;
    const vmas = mm.vmas;
    let start = t.numaScanOffset;
    let i = vmas.findIndex((v) => v.end > start);
    if (i < 0) {
      this.resetPtenumaScan(t);
      start = 0;
      i = 0;
    }
    const tiering = this.mode & NUMA_BALANCING_MEMORY_TIERING ? this.tiering : null;
    // change_prot_numa()'s target_node: a single-threaded process's folios already on its
    // node are left alone (mm_users is 1; the model counts the mm's CPUs, one per thread).
    const targetNode = mm.cpuMask.size === 1 ? k.profile.nodeOfCpu(thread.cpu) : NUMA_NO_NODE;
    const skip =
      targetNode === NUMA_NO_NODE && tiering?.scanSkip === undefined
        ? undefined
        : (folio: Folio) => folio.nid === targetNode || (tiering?.scanSkip?.(folio) ?? false);
    const local = mm.cpuMask.has(thread.cpu) ? 1 : 0;
    const flushNs = local * c.tlbFlushNs + (mm.cpuMask.size - local) * c.ipiNs;
    let ns = 0;
    scan: for (; i < vmas.length; i++) {
      const vma = vmas[i];
      if (!vmaMigratable(vma) || !vmaPolicyMof(vma, thread)) continue;
      // Inaccessible VMAs are skipped, so PROT_NONE and NUMA hinting are not confused.
      if (!(vma.flags & (VM_READ | VM_WRITE | VM_EXEC))) continue;
      let end: number;
      do {
        start = Math.max(start, vma.start);
        end = Math.min(
          Math.ceil((start + pages * PAGE_SIZE) / HPAGE_PMD_SIZE) * HPAGE_PMD_SIZE,
          vma.end,
        );
        const hugeBefore = ev.numa_huge_pte_updates;
        const nr = changeProtNuma(vma, start, end, thread, k.ctx, skip);
        if (nr > 0) {
          const huge = ev.numa_huge_pte_updates - hugeBefore;
          ns += ((nr - huge * HPAGE_PMD_NR) * c.pteNs + huge * c.pmdNs) / 2 + flushNs;
          pages -= (end - start) / PAGE_SIZE;
        }
        virtpages -= (end - start) / PAGE_SIZE;
        start = end;
        if (pages <= 0 || virtpages <= 0) break scan;
      } while (end !== vma.end);
    }
    if (i < vmas.length) t.numaScanOffset = start;
    else this.resetPtenumaScan(t);
    return ns;
  }

  /** reset_ptenuma_scan(): a new pass over the address space begins. */
  private resetPtenumaScan(t: NumaTask): void {
    t.mmScanSeq++;
    t.numaScanOffset = 0;
  }

  /**
   * task_numa_fault(): account a hint fault of `pages` on `memNode` (after any migration) as
   * private or shared (the faulting thread's pid against the folio's last cpupid), local or
   * remote, and whether the migration failed; every so often (numa_migrate_retry) run
   * task_numa_placement().
   */
  taskNumaFault(
    t: NumaTask,
    fault: NumaHintFault,
    lastCpupid: number,
    memNode: number,
    pages: number,
    flags: number,
  ): void {
    const pid = threadPid(fault.task, fault.cpu);
    // First accesses count as private.
    const priv = cpupidPidUnset(lastCpupid) || (lastCpupid & 0xff) === (pid & 0xff) ? 1 : 0;
    const now = this.k.sim.now;
    if (now > t.migrateRetry) {
      this.taskNumaPlacement(t);
      // numa_migrate_preferred(): retry placement every min(1 s, scan period / 16); moving the
      // thread itself to the preferred node is not modelled.
      if (t.preferredNid !== NUMA_NO_NODE) {
        t.migrateRetry = now + Math.min(1000, Math.floor(t.scanPeriod / 16)) * MS;
      }
    }
    if (flags & TNF_MIGRATED) t.pagesMigrated += pages;
    if (flags & TNF_MIGRATE_FAIL) t.faultsLocality[2] += pages;
    t.faultsMemBuf[memNode * 2 + priv] += pages;
    t.faultsLocality[flags & TNF_FAULT_LOCAL ? 1 : 0] += pages;
  }

  /**
   * task_numa_placement(): once per pass of the scanner, decay the fault statistics (half the
   * old plus the new), take the node with the most as the preferred one, and adapt the scan
   * period.
   */
  private taskNumaPlacement(t: NumaTask): void {
    if (t.scanSeq === t.mmScanSeq) return;
    t.scanSeq = t.mmScanSeq;
    t.scanPeriodMax = this.taskScanMax(t);
    const shared = [0, 0];
    let maxFaults = 0;
    let maxNid = NUMA_NO_NODE;
    for (let nid = 0; nid < this.nodes; nid++) {
      let faults = 0;
      for (let priv = 0; priv < 2; priv++) {
        const i = nid * 2 + priv;
        const buf = t.faultsMemBuf[i];
        shared[priv] += buf;
        t.faultsMem[i] += buf - Math.floor(t.faultsMem[i] / 2);
        t.faultsMemBuf[i] = 0;
        faults += t.faultsMem[i];
      }
      if (faults > maxFaults) {
        maxFaults = faults;
        maxNid = nid;
      }
    }
    if (maxFaults > 0) t.preferredNid = maxNid;
    this.updateTaskScanPeriod(t, shared[0], shared[1]);
  }

  /**
   * update_task_scan_period(): scan slower (double the period) with no faults worth counting
   * or any failed migration, else move the period by slots of a tenth: up when 70% of the
   * faults are private or local, down otherwise, within task_scan_min()..task_scan_max().
   */
  private updateTaskScanPeriod(t: NumaTask, shared: number, priv: number): void {
    const [remote, local, failed] = t.faultsLocality;
    if (local + shared === 0 || failed > 0) {
      // The kernel leaves numa_faults_locality as it is here: a failure keeps slowing it down.
      t.scanPeriod = Math.min(t.scanPeriodMax, t.scanPeriod * 2);
      t.numaNextScan = this.k.sim.now + t.scanPeriod * MS;
      return;
    }
    const periodSlot = Math.ceil(t.scanPeriod / NUMA_PERIOD_SLOTS);
    const lrRatio = Math.floor((local * NUMA_PERIOD_SLOTS) / (local + remote));
    const psRatio = Math.floor((priv * NUMA_PERIOD_SLOTS) / (priv + shared));
    let diff: number;
    if (psRatio >= NUMA_PERIOD_THRESHOLD) {
      diff = Math.max(1, psRatio - NUMA_PERIOD_THRESHOLD) * periodSlot;
    } else if (lrRatio >= NUMA_PERIOD_THRESHOLD) {
      diff = Math.max(1, lrRatio - NUMA_PERIOD_THRESHOLD) * periodSlot;
    } else {
      diff = -(NUMA_PERIOD_THRESHOLD - Math.max(lrRatio, psRatio)) * periodSlot;
    }
    t.scanPeriod = Math.min(
      Math.max(t.scanPeriod + diff, this.taskScanMin(t)),
      this.taskScanMax(t),
    );
    t.faultsLocality.fill(0);
  }
}

/** Start NUMA balancing when kernel.numa_balancing is on; returns it for the tiering policy. */
export function startNumaBalancing(ctx: PolicyContext): NumaBalancing | null {
  if (ctx.sysctl.kernel.numa_balancing === 0) return null;
  const nb = new NumaBalancing(ctx.k, ctx.sysctl, ctx.endNs);
  nb.start(ctx.processes);
  return nb;
}
