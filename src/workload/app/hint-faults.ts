/**
 * Hint faults in aggregate, as the migration stalls are: when change_prot_numa() makes a
 * folio's entries PROT_NONE, the first access to them is drawn at once. Each thread of the
 * region touches the folio as a Poisson process at its rate now (its pattern's share of the
 * folio times its operations per ns), so the first access comes after an exponential time at
 * the sum of the rates, and it is a given thread's with probability its rate over the sum. At
 * that time the thread takes the fault: it waits the profile's memory.hintFaultNs and then
 * whatever the kernel's handler takes (Kernel.numaHintFault, run in the thread's context), runs
 * no operation meanwhile, and counts the fault and its time; a fault that comes while the thread
 * is in the kernel (another fault, or task_work such as NUMA balancing's scan) waits for it to
 * end (the thread makes no access meanwhile), and is not taken if that end is past the thread's
 * (the one in progress at the end finishes, as a mover's call does). The draw takes each
 * thread's rate at the time the folio was made PROT_NONE, with its pattern's share period by
 * period (a hot set that moves onto the folio later brings its first access then), and a fault
 * whose entries something else restored first (a migration, munmap) does not happen.
 */
import { RunFailure } from "../../errors.js";
import { type Folio, PAGE_SIZE } from "../../mm/folio.js";
import { hintFaultPending, type NumaHintFault } from "../../mm/numa-hint.js";
import type { Vma } from "../../mm/vm.js";
import { hashUniform } from "../../sim/rng.js";
import type { AppAccesses } from "./accesses.js";
import type { App, AppThread } from "./app.js";

/** Salts that keep the three draws of a fault apart from each other and from the bits'. */
const WHEN = 0x68696e74;
const WHO = 0x77686f00;
const WRITE = 0x77726974;

export class HintFaults {
  /** The faults of each thread that is in one now, the next first. */
  private readonly queued = new Map<AppThread, (NumaHintFault | number)[]>();
  /** arm()'s rates of the region's threads, reused. */
  private readonly rates: Float64Array;

  constructor(
    private readonly app: App,
    private readonly accesses: AppAccesses,
  ) {
    this.rates = new Float64Array(app.threads.length);
  }

  /** `folio`'s entries at [addr, +nrPages) became PROT_NONE now: draw the access that faults. */
  arm(vma: Vma, addr: number, folio: Folio, nrPages: number, pmd: boolean): void {
    const at = this.accesses.regionAt(addr);
    if (at === null) return;
    const k = this.app.k;
    const now = k.sim.now;
    const first = (addr - at.region.start) / PAGE_SIZE;
    const count = Math.min(nrPages, at.region.pages - first);
    const seed = this.accesses.seed;
    const mmId = vma.mm.id;
    const vpn = addr / PAGE_SIZE;
    // The first access: an exponential amount of access "mass", spent period by period at the
    // rates each period has (a hot set that moves onto the folio later brings its fault then).
    let mass = -Math.log1p(-hashUniform(seed ^ WHEN, mmId, vpn, now));
    let end = 0;
    for (const t of at.threads) end = Math.max(end, t.endNs);
    let from = now;
    const rates = this.rates;
    const n = at.threads.length;
    let total: number;
    for (;;) {
      let to = end;
      for (const t of at.threads) {
        const p = t.pattern.periodNs;
        if (p !== undefined) to = Math.min(to, (Math.floor(from / p) + 1) * p);
      }
      this.accesses.rates(at.index, first, count, from, rates);
      total = 0;
      for (let j = 0; j < n; j++) total += rates[j];
      if (total > 0 && mass <= total * (to - from)) break;
      if (to >= end) return;
      mass -= total * (to - from);
      from = to;
    }
    const when = from + mass / total;
    let pick = hashUniform(seed ^ WHO, mmId, vpn, now) * total;
    let i = 0;
    while (i < n - 1 && pick >= rates[i]) pick -= rates[i++];
    const thread = at.threads[i];
    if (when >= thread.endNs) return;
    const fault: NumaHintFault = {
      task: this.app.task,
      cpu: thread.cpu,
      nid: k.profile.nodeOfCpu(thread.cpu),
      vma,
      addr,
      folio,
      nrPages,
      pmd,
      write: hashUniform(seed ^ WRITE, mmId, vpn, now) < thread.writes,
      se: thread.se,
      events: this.app.watcher,
    };
    k.sim.at(when, () => this.enter(thread, fault));
  }

  /** The thread on `cpu` runs `ns` of task_work from now, after any fault it is in. */
  taskWork(cpu: number, ns: number): void {
    const thread = this.app.threads.find((t) => t.cpu === cpu);
    if (thread === undefined || this.app.k.sim.now >= thread.endNs) return;
    this.enter(thread, ns);
  }

  /**
   * The thread enters the kernel now: a hint fault (unless something restored its entries
   * first) or `ns` of task_work. A thread already in the kernel makes no access until it is
   * out: the item waits for it (the thread's queue).
   */
  private enter(thread: AppThread, item: NumaHintFault | number): void {
    let queue = this.queued.get(thread);
    if (queue !== undefined) {
      queue.push(item);
      return;
    }
    if (typeof item !== "number" && !hintFaultPending(item)) return;
    const k = this.app.k;
    const cost = k.profile.memory?.hintFaultNs;
    if (cost === undefined) {
      throw new RunFailure(
        `profile ${k.profile.name} has no memory.hintFaultNs: NUMA hint faults need their cost`,
      );
    }
    queue = [item];
    this.queued.set(thread, queue);
    const queued = this.queued;
    k.sim.spawn(
      (function* () {
        for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
          // The thread gets out of the kernel only after its end: the accesses still queued
          // would come then, past the run (as arm() and taskWork() draw none there).
          if (k.sim.now >= thread.endNs) break;
          if (typeof f === "number") {
            const key = thread.faultBegins(k.sim.now);
            yield f;
            thread.kernelDone(key, k.sim.now);
            continue;
          }
          if (!hintFaultPending(f)) continue;
          const key = thread.faultBegins(k.sim.now);
          yield cost;
          const handler = k.numaHintFault(f);
          if (handler !== undefined) yield* handler;
          thread.faultDone(key, k.sim.now);
        }
        queued.delete(thread);
      })(),
      `hint faults cpu ${thread.cpu}`,
    );
  }
}
