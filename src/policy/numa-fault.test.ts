import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { MPOL_BIND } from "../mm/mempolicy.js";
import type { NumaHintFault } from "../mm/numa-hint.js";
import { VM_READ, VM_WRITE } from "../mm/vm.js";
import { NumaBalancing, NumaTask } from "./numa-balancing.js";
import {
  cpuPidToCpupid,
  mpolMisplaced,
  NUMA_NO_NODE,
  shouldNumaMigrateMemory,
  threadPid,
} from "./numa-fault.js";
import { SysctlSchema } from "./sysctl.js";

const profile = loadProfile("zen3-2s-ptdma");

/** A process with one 4K folio on node 1 and the faults its threads take on it. */
function setup() {
  const k = new Kernel({ profile });
  const task = k.spawnProcess(0);
  const mm = task.mm as NonNullable<typeof task.mm>;
  const vma = mm.mmap(1 << 20, VM_READ | VM_WRITE);
  const folio = k.phys.allocFolio(1, 0);
  if (folio === null) throw new Error("no folio");
  mm.mapFolio(vma, vma.start, folio, { dirty: true });
  const nb = new NumaBalancing(k, SysctlSchema.parse({ kernel: { numa_balancing: 1 } }), 1e9);
  const t = new NumaTask(task, mm, 2);
  const fault = (cpu: number): NumaHintFault => ({
    task,
    cpu,
    nid: profile.nodeOfCpu(cpu),
    vma,
    addr: vma.start,
    folio,
    nrPages: 1,
    pmd: false,
    write: false,
  });
  return { k, task, vma, folio, nb, t, fault };
}

describe("should_numa_migrate_memory", () => {
  it("migrates a first fault at once early in the task's life, and records the fault's cpupid", () => {
    const { task, folio, nb, t, fault } = setup();
    expect(folio.lastCpupid).toBe(-1);
    expect(shouldNumaMigrateMemory(nb, t, fault(3), 1)).toBe(true);
    expect(folio.lastCpupid).toBe(cpuPidToCpupid(3, threadPid(task, 3)));
  });

  it("past the early passes, migrates only when the previous fault came from the same node (the two-stage filter)", () => {
    const { nb, t, fault } = setup();
    t.preferredNid = 0;
    t.scanSeq = 5;
    // No earlier fault: nothing to filter on. CPU 32 is on node 1: its fault leaves a node-1
    // cpupid, so node 0's next fault is refused.
    expect(shouldNumaMigrateMemory(nb, t, fault(32), 1)).toBe(true);
    expect(shouldNumaMigrateMemory(nb, t, fault(3), 1)).toBe(false);
    // The second fault from node 0 in a row (another thread: a shared fault, no numa_group).
    expect(shouldNumaMigrateMemory(nb, t, fault(4), 1)).toBe(true);
  });

  it("is asked only for the default policy: an mbind(2) policy has no MPOL_F_MOF", () => {
    const { vma, nb, t, fault } = setup();
    expect(mpolMisplaced(nb, t, fault(3))).toBe(0);
    vma.policy = { mode: MPOL_BIND, nodes: [1] };
    expect(mpolMisplaced(nb, t, fault(3))).toBe(NUMA_NO_NODE);
  });

  it("finds nothing misplaced on the faulting CPU's own node", () => {
    const { nb, t, fault } = setup();
    expect(mpolMisplaced(nb, t, fault(32))).toBe(NUMA_NO_NODE);
  });
});
