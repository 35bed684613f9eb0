/**
 * `pagemig host check`: each case of check-cases.ts made on the running kernel and on the
 * model booted from the host's draft profile, comparing the return value (errno) and every
 * status entry. Each side resolves the case's symbols in its own fresh region; the host's node
 * ids are renumbered as the draft numbers them (memory nodes 0..N-1 in host order).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import type { LoadedProfile } from "../machine/profile.js";
import { Kernel } from "../migrate/kernel.js";
import { sysMovePages } from "../migrate/move-pages.js";
import { errnoName } from "../mm/errno.js";
import { PAGE_SIZE } from "../mm/folio.js";
import type { Task } from "../mm/task.js";
import { VM_READ, VM_WRITE } from "../mm/vm.js";
import {
  CHECK_CASES,
  type CheckCase,
  type Need,
  type NodeRef,
  PAGE_INDEX,
  type PageRef,
  REGION_PAGES,
  UNALIGNED_OFFSET,
} from "./check-cases.js";
import type { HostContext } from "./host-context.js";
import { type Libc, MPOL_BIND, movePagesNr } from "./libc.js";
import { callAsNobody, NOBODY, nobodyCannotLoadKoffi } from "./unprivileged.js";

/** What a status entry holds when the kernel never wrote it. */
export const UNWRITTEN = 0x5eed;
/** A node id past any kernel's MAX_NUMNODES (1 << CONFIG_NODES_SHIFT, at most 1024). */
const BEYOND_NODE = 1 << 20;
const READ_PAGES = [3, 5];
const WRITTEN_PAGES = [0, 1, 6, 7];

export interface CallOutcome {
  rc: number;
  /** null with a NULL status array. */
  status: number[] | null;
}

export interface CaseResult {
  name: string;
  verdict: "agree" | "differ" | "skipped";
  host?: CallOutcome;
  model?: CallOutcome;
  /** Why it was skipped. */
  reason?: string;
}

/** The symbols' values on each side and why a case cannot run here. */
interface Setting {
  /** Host ids (node symbols resolved on the host). */
  hostNodes: Record<NodeRef, number | null>;
  modelNodes: Record<NodeRef, number>;
  absentPid: number;
  missing: Partial<Record<Need, string>>;
  zeroPage: boolean;
}

export function runHostCheck(libc: Libc, host: HostContext, profile: LoadedProfile): CaseResult[] {
  const setting = settle(libc, host, profile);
  const k = new Kernel({ profile });
  return CHECK_CASES.map((c) => {
    const why = c.needs.map((n) => setting.missing[n]).find((r) => r !== undefined);
    if (why !== undefined) return { name: c.name, verdict: "skipped", reason: why };
    const hostOut = translate(onHost(libc, c, setting), host.memoryNodes);
    const modelOut = onModel(k, c, setting);
    const same =
      hostOut.rc === modelOut.rc &&
      JSON.stringify(hostOut.status) === JSON.stringify(modelOut.status);
    return { name: c.name, verdict: same ? "agree" : "differ", host: hostOut, model: modelOut };
  });
}

function settle(libc: Libc, host: HostContext, profile: LoadedProfile): Setting {
  const mem = host.memoryNodes;
  const online = host.facts.nodes.map((n) => n.id);
  const modelIds = profile.topology.nodes.map((n) => n.id);
  const absent = Math.max(...online, ...modelIds) + 1;
  const memoryless = host.facts.nodes.find((n) => !n.hasMemory)?.id ?? null;
  const missing: Partial<Record<Need, string>> = {};
  if (mem.length < 2) missing["two-nodes"] = `the host has one memory node (${mem[0] ?? "none"})`;
  if (memoryless === null) missing["memoryless-node"] = "no online node without memory here";
  const zero = zeroPageState(libc);
  if (zero !== true) missing["zero-page"] = zero;
  const nobody = unprivilegedState();
  if (nobody !== null) missing.unprivileged = nobody;
  return {
    hostNodes: {
      here: mem[0] ?? 0,
      other: mem[1] ?? null,
      absent,
      beyond: BEYOND_NODE,
      negative: -1,
      memoryless,
    },
    // The draft leaves memoryless nodes out, so that id names no node of the model.
    modelNodes: {
      here: 0,
      other: 1,
      absent,
      beyond: BEYOND_NODE,
      negative: -1,
      memoryless: absent,
    },
    absentPid: absentPid(),
    missing,
    zeroPage: zero === true,
  };
}

/** A pid no process has: the highest free one below pid_max. */
function absentPid(): number {
  const max = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  for (let pid = max - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error("host check: every pid is taken");
}

/** Why an unprivileged call cannot be made here, or null when it can. */
function unprivilegedState(): string | null {
  // Root makes the call in a child process as nobody, which must be able to load koffi.
  if (process.getuid?.() === 0) return nobodyCannotLoadKoffi();
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  const CAP_SYS_NICE = 23n;
  if (capEff !== undefined && (BigInt(`0x${capEff}`) >> CAP_SYS_NICE) & 1n) {
    return "not root, and this user holds CAP_SYS_NICE, so it cannot be shed";
  }
  return null;
}

/**
 * Whether a read fault of never-written anonymous memory maps the shared zero page: true, or
 * why the zero-page cases cannot run. Two read pages mapping the same frame are the zero page.
 */
function zeroPageState(libc: Libc): true | string {
  const region = HostRegion.map(libc, null);
  try {
    const [a, b] = READ_PAGES.map((i) => pagemapFrame(region.addr + i * PAGE_SIZE));
    if (a === 0 || b === 0) return "/proc/self/pagemap hides frame numbers from this user";
    if (a !== b) {
      return "this kernel maps a page of its own on a read fault (pagemap shows two frames), never the zero page";
    }
    return true;
  } finally {
    region.unmap();
  }
}

/** The page frame /proc/self/pagemap gives for addr (0: not present, or hidden). */
function pagemapFrame(addr: number): number {
  const fd = openSync("/proc/self/pagemap", "r");
  try {
    const entry = Buffer.alloc(8);
    readSync(fd, entry, 0, 8, (addr / PAGE_SIZE) * 8);
    const v = entry.readBigUInt64LE();
    const PRESENT = 1n << 63n;
    return v & PRESENT ? Number(v & ((1n << 55n) - 1n)) : 0;
  } finally {
    closeSync(fd);
  }
}

/** The case's region on the host: mapped, placed, touched as check-cases.ts lays it out. */
class HostRegion {
  private constructor(
    private readonly libc: Libc,
    readonly addr: number,
  ) {}

  static map(libc: Libc, node: number | null): HostRegion {
    const len = REGION_PAGES * PAGE_SIZE;
    const addr = libc.mmapAnon(len);
    const r = new HostRegion(libc, addr);
    if (node !== null) libc.mbind(addr, len, MPOL_BIND, [node]);
    for (const i of WRITTEN_PAGES) libc.fill(addr + i * PAGE_SIZE, PAGE_SIZE, 1);
    for (const i of READ_PAGES) libc.readByte(addr + i * PAGE_SIZE);
    libc.munmap(addr + PAGE_INDEX.unmapped * PAGE_SIZE, PAGE_SIZE);
    return r;
  }

  unmap(): void {
    this.libc.munmap(this.addr, REGION_PAGES * PAGE_SIZE);
  }
}

function address(base: number, p: PageRef): number {
  return base + PAGE_INDEX[p] * PAGE_SIZE + (p === "unaligned" ? UNALIGNED_OFFSET : 0);
}

function onHost(libc: Libc, c: CheckCase, s: Setting): CallOutcome {
  const here = s.hostNodes.here;
  if (c.unprivileged && process.getuid?.() === 0) {
    // Root sheds CAP_SYS_NICE in a child; a user without it calls as it is (below). Only the
    // caller's own written page: what these cases ask is whether the call is allowed.
    return callAsNobody({
      flags: c.flags,
      node: c.nodes === null ? null : here,
      nr: movePagesNr(),
    });
  }
  const region = HostRegion.map(libc, here);
  try {
    const count = c.count ?? c.pages?.length ?? 0;
    const status = c.nullStatus ? null : new Int32Array(count).fill(UNWRITTEN);
    const nodes = c.nodes?.map((n) => s.hostNodes[n] ?? -1) ?? null;
    const rc = libc.movePages({
      pid: c.pid === 0 ? 0 : c.pid === "self" ? process.pid : s.absentPid,
      count,
      pages: c.pages?.map((p) => address(region.addr, p)) ?? null,
      nodes,
      status,
      flags: c.flags,
    });
    return { rc, status: status === null ? null : [...status] };
  } finally {
    region.unmap();
  }
}

/** Host node ids in statuses, renumbered as the draft numbers the host's memory nodes. */
function translate(out: CallOutcome, memoryNodes: readonly number[]): CallOutcome {
  const status = out.status?.map((v) => (v >= 0 && v !== UNWRITTEN ? memoryNodes.indexOf(v) : v));
  return { rc: out.rc, status: status ?? null };
}

function onModel(k: Kernel, c: CheckCase, s: Setting): CallOutcome {
  const task = k.spawnProcess(0);
  if (c.unprivileged) {
    task.uid = NOBODY;
    task.capSysNice = false;
  }
  const base = modelRegion(k, task, s);
  const count = c.count ?? c.pages?.length ?? 0;
  const status = new Int32Array(c.nullStatus ? 0 : count).fill(UNWRITTEN);
  const pages = c.pages?.map((p) => address(base, p)) ?? [];
  const exec = k.newExec(task);
  const proc = k.sim.spawn(
    (function* () {
      const rc = yield* sysMovePages(k, exec, {
        pid: c.pid === 0 ? 0 : c.pid === "self" ? task.pid : s.absentPid,
        count,
        pages,
        nodes: c.nodes?.map((n) => s.modelNodes[n]) ?? null,
        status,
        flags: c.flags,
      });
      yield* exec.sync();
      return rc;
    })(),
  );
  const rc = k.sim.runUntilDone(proc);
  return { rc, status: c.nullStatus ? null : [...status] };
}

/** The same layout in the model: written folios on node 0, the read pages as the host had them. */
function modelRegion(k: Kernel, task: Task, s: Setting): number {
  const mm = task.mm;
  if (mm === null) throw new Error("host check: a model process without an mm");
  const vma = mm.mmap(REGION_PAGES * PAGE_SIZE, VM_READ | VM_WRITE);
  const pages = s.zeroPage ? WRITTEN_PAGES : [...WRITTEN_PAGES, ...READ_PAGES];
  for (const i of pages) {
    const folio = k.phys.allocFolio(s.modelNodes.here, 0);
    if (folio === null) throw new Error("host check: the model's node 0 is full");
    mm.mapFolio(vma, vma.start + i * PAGE_SIZE, folio, { dirty: true });
  }
  if (s.zeroPage) for (const i of READ_PAGES) mm.mapZeroPage(vma, vma.start + i * PAGE_SIZE);
  mm.munmap(vma.start + PAGE_INDEX.unmapped * PAGE_SIZE, PAGE_SIZE);
  return vma.start;
}

const MAX_STATUS_TEXT = 40;

/** `-ENOENT`, `0`; statuses run-length encoded (`0 ×3`), `-` where unwritten. */
export function formatOutcome(o: CallOutcome | undefined): { rc: string; status: string } {
  if (o === undefined) return { rc: "", status: "" };
  const value = (v: number) => (v === UNWRITTEN ? "-" : v < 0 ? `-${errnoName(v)}` : String(v));
  if (o.status === null) return { rc: value(o.rc), status: "(NULL)" };
  const runs: string[] = [];
  for (let i = 0; i < o.status.length; ) {
    let j = i;
    while (j < o.status.length && o.status[j] === o.status[i]) j++;
    runs.push(j - i > 1 ? `${value(o.status[i])}×${j - i}` : value(o.status[i]));
    i = j;
  }
  const text = `[${runs.join(" ")}]`;
  if (text.length <= MAX_STATUS_TEXT) return { rc: value(o.rc), status: text };
  // Long lists (the chunk cases) as how many of each value, so the table stays readable.
  const counts = new Map<number, number>();
  for (const v of o.status) counts.set(v, (counts.get(v) ?? 0) + 1);
  const tally = [...counts].map(([v, n]) => `${value(v)}×${n}`).join(" ");
  return { rc: value(o.rc), status: `${o.status.length}: ${tally}` };
}
