import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { migratedPages, threadsOpsPerSec } from "../test-support/scenario-result.js";
import { runScenario, type ScenarioResult } from "../workload/app/run-scenario.js";
import { parseScenario, type Scenario } from "../workload/app/scenario.js";
import { NumaBalancing, NumaTask } from "./numa-balancing.js";
import { SysctlSchema } from "./sysctl.js";

const profile = loadProfile("zen3-2s-ptdma");
const MS = 1e6;

function scenario(): Scenario {
  return parseScenario(readFileSync("scenarios/numa-balancing.yaml", "utf8"), "numa-balancing");
}

describe("scenarios/numa-balancing.yaml", () => {
  const s = scenario();
  const on = runScenario(s, profile);
  const off = runScenario(
    { ...s, sysctl: { ...s.sysctl, kernel: { ...s.sysctl.kernel, numa_balancing: 0 } } },
    profile,
  );

  it("moves the misplaced memory to the threads' node once the scan delay is over, and ops/s rise", () => {
    const bytes = on.series.processes[0].bytesByNode;
    const last = (nid: string) => bytes[nid]?.at(-1) ?? 0;
    expect(last("0")).toBe(64 << 20);
    expect(last("1")).toBe(0);
    // Remote until the first scan at scan_delay_ms (1 s); local once the faults moved it.
    const before = threadsOpsPerSec(on, 100, 1000);
    const after = threadsOpsPerSec(on, 1500, 2500);
    expect(after / before).toBeGreaterThan(1.5);
    expect(threadsOpsPerSec(off, 1500, 2500) / threadsOpsPerSec(off, 100, 1000)).toBeCloseTo(1, 1);
    const total = (r: ScenarioResult) => r.threads.reduce((a, t) => a + t.opsPerSec, 0);
    expect(total(on)).toBeGreaterThan(1.2 * total(off));
    expect(off.vmstat.numa_pte_updates ?? 0).toBe(0);
  });

  it("keeps its counters consistent with what moved", () => {
    const v = on.vmstat;
    const pages = 16384;
    // One pass made every page PROT_NONE; each was touched, faulted remote and moved home.
    expect(v.numa_pte_updates).toBe(pages);
    expect(v.numa_hint_faults).toBe(pages);
    expect(v.numa_hint_faults_local ?? 0).toBe(0);
    expect(v.numa_pages_migrated).toBe(pages);
    expect(migratedPages(on, "MR_NUMA_MISPLACED")).toBeCloseTo(v.numa_pages_migrated, 6);
    expect(migratedPages(on, "MR_SYSCALL")).toBeCloseTo(pages, 6);
    expect(v.pgmigrate_success).toBe(2 * pages);
    expect(v.pgmigrate_fail).toBe(0);
    // One folio per fault, MIGRATE_ASYNC: a batched flush per call, IPIs to the other 7 CPUs.
    expect(v.nr_tlb_remote_flush_received).toBeGreaterThanOrEqual(7 * pages);
  });
});

describe("a run that ends in the middle of the hint faults", () => {
  it("lets the faults and migrations in flight finish, in bytes mode, nothing lost", () => {
    // The first scan comes at 1 s; the run ends 2 ms later, while the threads fault.
    const r = runScenario({ ...scenario(), duration: 1002 * MS, verify: true }, profile);
    expect(r.pagesVerified).toBe(16384);
    expect(r.vmstat.numa_pages_migrated).toBeGreaterThan(0);
    expect(r.vmstat.numa_pages_migrated).toBeLessThan(16384);
  });
});

describe("change_prot_numa()'s target_node", () => {
  it("leaves a single-threaded process's local folios alone, and scans its remote ones", () => {
    const s = scenario();
    const one = {
      ...s,
      duration: 1100 * MS,
      processes: [{ ...s.processes[0], threads: [{ ...s.processes[0].threads[0], count: 1 }] }],
    };
    expect(runScenario({ ...one, movers: [] }, profile).vmstat.numa_pte_updates ?? 0).toBe(0);
    expect(runScenario(one, profile).vmstat.numa_pte_updates).toBe(16384);
  });
});

describe("the scan period (task_scan_min/max, update_task_scan_period)", () => {
  const sysctl = SysctlSchema.parse({});

  it("has the kernel's bounds for 1 GiB: 256 MB windows, 250 ms at the fastest, 15 s at the slowest", () => {
    const k = new Kernel({ profile });
    const task = k.spawnProcess(0);
    const mm = task.mm as NonNullable<typeof task.mm>;
    mm.mmap(1 << 30, 0x3);
    const nb = new NumaBalancing(k, sysctl, 1e9);
    const t = new NumaTask(task, mm, 2);
    expect(nb.taskScanMin(t)).toBe(250);
    expect(nb.taskScanMax(t)).toBe(15000);
  });

  it("is floored at MAX_SCAN_WINDOW: 256 MB windows at most 10 per second", () => {
    const k = new Kernel({ profile });
    const task = k.spawnProcess(0);
    const mm = task.mm as NonNullable<typeof task.mm>;
    mm.mmap(16 * 2 ** 30, 0x3);
    const nb = new NumaBalancing(k, sysctl, 1e9);
    expect(nb.taskScanMin(new NumaTask(task, mm, 2))).toBe(100);
  });
});
