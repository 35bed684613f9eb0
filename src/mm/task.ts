import type { Mempolicy } from "./mempolicy.js";
import type { MmStruct } from "./vm.js";

/**
 * tlbflush_unmap_batch (current->tlb_ubc): the TLB flushes deferred by try_to_migrate()
 * under TTU_BATCH_FLUSH, completed by try_to_unmap_flush().
 */
export interface TlbUnmapBatch {
  flushRequired: boolean;
  writable: boolean;
  /** x86 keeps a cpumask to IPI: the CPUs other than the current one where a flushed mm is live. */
  cpus: Set<number>;
}

/** task_struct, reduced to what migration and the syscalls read. */
export class Task {
  readonly tlbUbc: TlbUnmapBatch = { flushRequired: false, writable: false, cpus: new Set() };
  /** PF_MEMALLOC (direct compaction): never sleep on the folio lock. */
  pfMemalloc = false;
  /** task->mempolicy (set_mempolicy(2)); null: the system default, local allocation. */
  mempolicy: Mempolicy | null = null;

  constructor(
    readonly pid: number,
    /** The CPU the task runs on. */
    public cpu: number,
    /** null for a kernel thread or an exited task. */
    public mm: MmStruct | null,
    /** CAP_SYS_NICE */
    public capSysNice = true,
    /** cpuset mems_allowed; null means every node with memory. */
    public memsAllowed: ReadonlySet<number> | null = null,
    /** Real uid: ptrace_may_access() is modelled as same uid, or a root caller. */
    public uid = 0,
  ) {}
}
