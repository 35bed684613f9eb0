/**
 * Scenario files: a machine at work, in YAML (or JSON). A scenario names the profile, the
 * processes (their regions with a folio size and a memory policy, their threads with a CPU, a
 * region, an access pattern and compute time between accesses), the migration drivers, the copy
 * engine and how long to run:
 *
 *   profile: zen3-2s-ptdma
 *   duration: 100ms
 *   processes:
 *     - name: readers
 *       regions: [{ name: buf, size: 2M, folioSize: 2M, policy: { mode: bind, nodes: [0] } }]
 *       # a region without a policy takes the process's: mempolicy: { mode: interleave, ... }
 *       threads: [{ cpu: 1, region: buf, pattern: uniform, compute: 10ns }]
 *       # or placed among CPUs at a nice level: { cpus: [0, 1, 2, 3], nice: -5, ... }; a
 *       # process may name its cgroup (cgroup: batch), which its CPU time is charged to
 *   movers: [{ kind: move_pages, cpu: 3, process: readers, region: buf, nodes: [1, 0] }]
 *   # or, paced as memtierd: { kind: capped, node: 0, bandwidth: 1G/s, tick: 10ms, ... }
 *   # or all the process's memory back and forth, as migratepages(8) does: { kind: migrate_pages,
 *   #   cpu: 3, process: readers, nodes: [1, 0] }
 *   # or a thread of the process giving a region a new policy, moving what it excludes:
 *   #   { kind: mbind, cpu: 3, process: readers, region: buf, policy: { mode: interleave,
 *   #   nodes: [1] }, flags: [move], start: 20ms }, or over part of it (offset: 1M, size: 512K)
 *   kernel: { batchedUnmapTlbFlush: false }  # a kernel before 6.3: a TLB flush per entry
 *   engine: { migrator: dcbm, channels: 2 }  # reasons: [demotion] offloads reclaim's batches only
 *   sysctl: { kernel: { numa_balancing: 1 } }  # the kernel's policies that migrate (policy/)
 *   churn: [{ node: 0, size: 1G, keep: 0.3 }]  # a node fragmented before the run
 *   # and a process may start late (start: 50ms), faulting its regions in then
 *
 * Every problem is one UsageError naming the path of the bad field, found before anything runs.
 */
import { z } from "zod";
import { parsedField, parseYamlDocument, validated } from "../../config/document.js";
import { MIGRATORS } from "../../copy/engines.js";
import { UsageError } from "../../errors.js";
import { FaultInjector } from "../../fault/inject.js";
import type { LoadedProfile } from "../../machine/profile.js";
import { formatSize, tryParseSize } from "../../machine/units.js";
import { MAX_CPU_LOAD } from "../../migrate/kernel.js";
import { MIGRATE_REASON_NAMES } from "../../migrate/modes.js";
import { MAX_PAGE_ORDER, PAGE_SIZE } from "../../mm/folio.js";
import { checkPolicy, type Mempolicy, MPOL_DEFAULT, MPOL_MODE_NAMES } from "../../mm/mempolicy.js";
import { SysctlSchema } from "../../policy/sysctl.js";
import { MAX_NICE, MIN_NICE } from "../../sched/weights.js";
import { type Parsed, parseBytes, parseDuration, parseFolioSize } from "../../tune/quantities.js";
import type { PatternSpec } from "./patterns.js";

/** A duration that may be zero (compute time between accesses). */
function parseTime(text: string): Parsed<number> {
  if (/^0+(\.0+)?(ns|us|µs|ms|s)?$/.test(text)) return { ok: true, value: 0 };
  return parseDuration(text);
}

const MODES = Object.values(MPOL_MODE_NAMES) as [string, ...string[]];
const modeNumber = (name: string) =>
  Number(Object.entries(MPOL_MODE_NAMES).find(([, n]) => n === name)?.[0]);

const policySchema = z
  .strictObject({
    mode: z.enum(MODES),
    nodes: z.array(z.int().min(0)).default([]),
    weights: z.array(z.int()).optional(),
  })
  .transform((p): Mempolicy => ({ mode: modeNumber(p.mode), nodes: p.nodes, weights: p.weights }));

const fraction = (what: string) =>
  z.number().min(0, `${what} must be in [0, 1]`).max(1, `${what} must be in [0, 1]`);

const patternSchema = z.union(
  [
    z.enum(["uniform", "sequential"]).transform((kind): PatternSpec => ({ kind })),
    z.strictObject({ kind: z.literal("uniform") }),
    z.strictObject({ kind: z.literal("sequential") }),
    z.strictObject({ kind: z.literal("zipf"), skew: z.number().positive() }),
    z
      .strictObject({
        kind: z.literal("hotset"),
        fraction: fraction("fraction").refine((f) => f > 0, "fraction must be above 0"),
        probability: fraction("probability"),
        period: parsedField(parseDuration),
      })
      .transform(
        (h): PatternSpec => ({
          kind: "hotset",
          fraction: h.fraction,
          probability: h.probability,
          periodNs: h.period,
        }),
      ),
  ],
  { error: "expected uniform, sequential, or { kind: zipf | hotset, ... }" },
);

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.' or '-'");

const regionSchema = z.strictObject({
  name,
  size: parsedField(parseBytes),
  folioSize: parsedField(parseFolioSize),
  policy: policySchema
    .default({ mode: MPOL_DEFAULT, nodes: [] })
    .describe("the region's VMA policy (mbind(2)); default: none, the process's mempolicy applies"),
});

const nice = z
  .int()
  .min(MIN_NICE)
  .max(MAX_NICE)
  .optional()
  .describe(`nice level, ${MIN_NICE}..${MAX_NICE} (0 by default): its CPU share against others`);

/** A cgroup path, kept with its leading '/' (`batch` is `/batch`). */
const cgroup = z
  .string()
  .regex(/^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "a cgroup path such as batch or /jobs/copy")
  .transform((c) => (c.startsWith("/") ? c : `/${c}`))
  .optional()
  .describe("cgroup its CPU time is charged to (the root / by default)");

const threadSchema = z.strictObject({
  cpu: z.int().min(0).optional().describe("pinned to this CPU (with count, consecutive CPUs)"),
  cpus: z
    .array(z.int().min(0))
    .min(1)
    .optional()
    .describe("instead of cpu: the CPUs it may run on, placed at start on an idle one"),
  nice,
  region: name,
  pattern: patternSchema.default({ kind: "uniform" }),
  compute: parsedField(parseTime).default(0),
  mlp: z
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe("accesses in flight at once (1: dependent loads)"),
  count: z.int().min(1).default(1).describe("this many threads, on consecutive CPUs"),
  writes: fraction("writes")
    .default(0)
    .describe("share of the accesses that are writes (they set dirty bits); 0: all reads"),
});

const processSchema = z.strictObject({
  name,
  cgroup,
  mempolicy: policySchema
    .optional()
    .describe(
      "the process's memory policy, set_mempolicy(2) before its threads start (as numactl --interleave=... runs a program); its regions without a policy of their own fault in under it (default: local)",
    ),
  regions: z.array(regionSchema).min(1),
  threads: z.array(threadSchema).min(1),
  start: parsedField(parseTime)
    .default(0)
    .describe(
      "when the process starts: its first thread faults its regions in then (THPs by the THP defrag setting) and the threads run after",
    ),
});

const churnSchema = z.strictObject({
  node: z.int().min(0),
  size: parsedField(parseBytes).describe("memory allocated on the node, in folios of mixed orders"),
  keep: fraction("keep").describe("share of it left allocated, scattered (the rest is dropped)"),
  orders: z
    .array(z.int().min(0).max(MAX_PAGE_ORDER))
    .min(1)
    .default([0, 1, 2, 3])
    .describe("folio orders allocated, drawn uniformly"),
  unmovable: fraction("unmovable")
    .default(0)
    .describe(
      "share of the kept folios that are unmovable (slab-like), which compaction cannot move",
    ),
});

/** A byte offset: a size that may be zero. */
function parseOffset(text: string): Parsed<number> {
  const r = tryParseSize(text, { allowZero: true });
  return r.ok ? { ok: true, value: r.bytes } : { ok: false, reason: r.reason };
}

/** `200M/s` (bytes per second, the size suffixes of --total) -> bytes per ns. */
function parseBandwidth(text: string): Parsed<number> {
  const m = /^(.*)\/s$/.exec(text);
  if (m === null)
    return { ok: false, reason: `invalid bandwidth '${text}' (bytes per second, e.g. 200M/s)` };
  const r = parseBytes(m[1]);
  if (!r.ok) return r;
  if (r.value === 0) return { ok: false, reason: "bandwidth must be greater than zero" };
  return { ok: true, value: r.value / 1e9 };
}

const loopMoverSchema = z.strictObject({
  kind: z.literal("move_pages"),
  cpu: z.int().min(0),
  nice,
  cgroup,
  process: name,
  region: name,
  nodes: z.array(z.int().min(0)).min(1),
  start: parsedField(parseTime).default(0),
  calls: z.int().min(1).optional().describe("stop after this many calls (default: until the end)"),
});

const cappedMoverSchema = z.strictObject({
  kind: z.literal("capped"),
  cpu: z.int().min(0),
  nice,
  cgroup,
  process: name,
  region: name,
  node: z.int().min(0),
  bandwidth: parsedField(parseBandwidth),
  tick: parsedField(parseDuration).default(10_000_000),
  start: parsedField(parseTime).default(0),
});

const migratePagesMoverSchema = z.strictObject({
  kind: z.literal("migrate_pages"),
  cpu: z.int().min(0),
  nice,
  cgroup,
  process: name,
  nodes: z
    .array(z.int().min(0))
    .min(1)
    .describe("call i moves every page of the process on another node to nodes[i % length]"),
  start: parsedField(parseTime).default(0),
  calls: z.int().min(1).optional().describe("stop after this many calls (default: until the end)"),
});

/** mbind(2)'s flags by name: MPOL_MF_STRICT, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL. */
export const MBIND_FLAGS = ["strict", "move", "move_all"] as const;

const mbindMoverSchema = z.strictObject({
  kind: z.literal("mbind"),
  cpu: z
    .int()
    .min(0)
    .describe("a thread of the process on this CPU calls it (mbind acts on its own mm)"),
  nice,
  process: name,
  region: name,
  policy: policySchema.describe(
    "the region's new policy; weighted_interleave without weights takes the kernel's auto weights from the nodes' memoryGBps",
  ),
  flags: z
    .array(z.enum(MBIND_FLAGS))
    .default(["move"])
    .describe("move: migrate folios on nodes outside the policy's nodes (MPOL_MF_MOVE)"),
  offset: parsedField(parseOffset)
    .default(0)
    .describe("where in the region the range starts, page aligned (0: its start)"),
  size: parsedField(parseBytes)
    .optional()
    .describe(
      "the range's length (default: to the region's end); a part of the region is split off as a VMA of its own, and a folio across its edges moves whole",
    ),
  start: parsedField(parseTime).default(0),
});

const moverSchema = z.discriminatedUnion("kind", [
  loopMoverSchema,
  cappedMoverSchema,
  migratePagesMoverSchema,
  mbindMoverSchema,
]);

const engineSchema = z.strictObject({
  migrator: z.enum(MIGRATORS).default("serial"),
  threads: z.int().min(1).optional(),
  channels: z.int().min(1).optional(),
  placement: z.enum(["spread", "fill"]).default("spread"),
  batchPages: z.int().min(1).optional(),
  reasons: z
    .array(z.enum(MIGRATE_REASON_NAMES))
    .optional()
    .describe(
      "the migrate reasons whose batches the migrator copies, by the kernel's trace names (numa_misplaced, demotion, compaction, syscall_or_cpuset, ...); the rest copy folio by folio on the CPU (default: every reason, MIGRATE_OFFLOAD_REASONS_ALLOWED); serial registers no migrator and ignores it",
    ),
});

export const ScenarioSchema = z.strictObject({
  description: z.string().optional(),
  profile: z.string().default("zen3-2s-ptdma"),
  seed: z.int().min(1).default(1),
  duration: parsedField(parseDuration),
  quantum: parsedField(parseDuration).default(100_000),
  processes: z.array(processSchema).min(1),
  movers: z.array(moverSchema).default([]),
  engine: engineSchema.default({ migrator: "serial", placement: "spread" }),
  kernel: z
    .strictObject({
      batchedUnmapTlbFlush: z
        .boolean()
        .default(true)
        .describe(
          "migrate_pages() defers its TLB flushes to one per batch (Linux 6.3+, CONFIG_ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH); false: a kernel before 6.3, a flush and its IPIs per entry unmapped",
        ),
    })
    .prefault({})
    .describe("the kernel build the scenario runs (what no sysctl changes)"),
  churn: z
    .array(churnSchema)
    .default([])
    .describe("nodes fragmented before the run, as page-cache churn leaves them"),
  sysctl: SysctlSchema.prefault({}).describe(
    "kernel tunables by their /proc/sys names (kernel.*, vm.*) and /sys/kernel/mm files (mm.*)",
  ),
  cpuLoad: z
    .int()
    .min(0)
    .max(MAX_CPU_LOAD)
    .default(0)
    .describe("other tasks always runnable on every CPU, as bench's --cpu-load"),
  inject: z
    .string()
    .optional()
    .superRefine((spec, ctx) => {
      if (spec === undefined) return;
      try {
        new FaultInjector(1, spec);
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          message: (err as Error).message.replace(/^--inject: /, ""),
        });
      }
    })
    .describe(
      "faults injected into every migration, as bench's --inject: dma-error=0.1, worker-crash@2, all, ...",
    ),
  verify: z
    .boolean()
    .default(false)
    .describe("bytes mode: real page contents, read by the threads and checked after the run"),
});

export type Scenario = z.output<typeof ScenarioSchema>;

/** A scenario document, checked field by field. */
export function parseScenario(text: string, label: string): Scenario {
  return parseYamlDocument(ScenarioSchema, text, label, "scenario");
}

/** A scenario value (already parsed YAML or JSON), checked field by field. */
export function validateScenario(data: unknown, label: string): Scenario {
  return validated(ScenarioSchema, data, label);
}

/** An mbind mover's range: page aligned, inside its region. */
function mbindRange(
  at: string,
  m: { offset: number; size?: number },
  regionSize: number,
  fail: (path: string, msg: string) => never,
): void {
  if (m.offset % PAGE_SIZE !== 0)
    fail(`${at}.offset`, `${formatSize(m.offset)} is not a multiple of 4K`);
  if (m.offset >= regionSize) {
    fail(`${at}.offset`, `${formatSize(m.offset)} is past the region's ${formatSize(regionSize)}`);
  }
  if (m.size !== undefined && m.offset + m.size > regionSize) {
    fail(
      `${at}.size`,
      `${formatSize(m.offset)} + ${formatSize(m.size)} is past the region's ${formatSize(regionSize)}`,
    );
  }
}

/** The checks that need the machine: CPUs, nodes, policies, names, sizes. */
export function checkScenarioOnProfile(s: Scenario, p: LoadedProfile, label: string): void {
  const fail = (path: string, msg: string): never => {
    throw new UsageError(`${label}: ${path}: ${msg}`);
  };
  const cpu = (path: string, c: number) => {
    if (c >= p.cpus) fail(path, `CPU ${c} does not exist (profile ${p.name} has ${p.cpus})`);
  };
  const node = (path: string, n: number) => {
    if (!p.topology.nodes.some((x) => x.id === n))
      fail(path, `node ${n} does not exist on profile ${p.name}`);
  };
  if (p.memory === undefined)
    fail("profile", `profile ${p.name} has no memory section (applications need its latencies)`);
  const names = new Set<string>();
  s.processes.forEach((proc, i) => {
    if (names.has(proc.name)) fail(`processes[${i}].name`, `duplicate process '${proc.name}'`);
    names.add(proc.name);
    if (proc.mempolicy !== undefined) {
      const why = checkPolicy(p, proc.mempolicy);
      if (why !== null) fail(`processes[${i}].mempolicy`, why);
    }
    const regions = new Set<string>();
    proc.regions.forEach((r, j) => {
      const at = `processes[${i}].regions[${j}]`;
      if (regions.has(r.name)) fail(`${at}.name`, `duplicate region '${r.name}'`);
      regions.add(r.name);
      if (r.size % r.folioSize !== 0) {
        fail(
          `${at}.size`,
          `${formatSize(r.size)} is not a multiple of the folio size ${formatSize(r.folioSize)}`,
        );
      }
      const why = checkPolicy(p, r.policy);
      if (why !== null) fail(`${at}.policy`, why);
    });
    proc.threads.forEach((t, j) => {
      const at = `processes[${i}].threads[${j}]`;
      if ((t.cpu === undefined) === (t.cpus === undefined))
        fail(`${at}.cpu`, "give either cpu (pinned) or cpus (placed among them)");
      if (t.cpu !== undefined) {
        const last = t.cpu + t.count - 1;
        if (last >= p.cpus) {
          const which = t.count === 1 ? `CPU ${t.cpu}` : `CPUs ${t.cpu}-${last} (count ${t.count})`;
          fail(`${at}.cpu`, `${which}: profile ${p.name} has CPUs 0-${p.cpus - 1}`);
        }
      }
      for (const [n, c] of (t.cpus ?? []).entries()) cpu(`${at}.cpus[${n}]`, c);
      if (!regions.has(t.region))
        fail(`${at}.region`, `no region '${t.region}' in process '${proc.name}'`);
    });
  });
  s.processes.forEach((proc, i) => {
    if (proc.start >= s.duration) fail(`processes[${i}].start`, "starts after the scenario ends");
  });
  const churned = new Map<number, number>();
  s.churn.forEach((c, i) => {
    node(`churn[${i}].node`, c.node);
    const total = (churned.get(c.node) ?? 0) + c.size;
    churned.set(c.node, total);
    if (total > p.nodeBytes(c.node)) {
      const what =
        total === c.size ? formatSize(c.size) : `with the churns before, ${formatSize(total)}`;
      fail(
        `churn[${i}].size`,
        `${what} is more than node ${c.node}'s ${formatSize(p.nodeBytes(c.node))}`,
      );
    }
  });
  s.movers.forEach((m, i) => {
    const at = `movers[${i}]`;
    cpu(`${at}.cpu`, m.cpu);
    const proc = s.processes.find((x) => x.name === m.process);
    if (proc === undefined) fail(`${at}.process`, `no process '${m.process}'`);
    else if (m.kind !== "migrate_pages" && !proc.regions.some((r) => r.name === m.region)) {
      fail(`${at}.region`, `no region '${m.region}' in process '${m.process}'`);
    }
    if (m.kind === "capped") node(`${at}.node`, m.node);
    else if (m.kind === "mbind") {
      const why = checkPolicy(p, m.policy);
      if (why !== null) fail(`${at}.policy`, why);
      const region = proc?.regions.find((r) => r.name === m.region);
      if (region !== undefined) mbindRange(at, m, region.size, fail);
    } else for (const [j, n] of m.nodes.entries()) node(`${at}.nodes[${j}]`, n);
    if (m.start >= s.duration) fail(`${at}.start`, "starts after the scenario ends");
  });
  if (s.engine.threads !== undefined && s.engine.migrator !== "mtcopy") {
    fail("engine.threads", `threads are for mtcopy, not ${s.engine.migrator}`);
  }
  if (s.engine.channels !== undefined && !s.engine.migrator.startsWith("dcbm")) {
    fail("engine.channels", `channels are for dcbm, not ${s.engine.migrator}`);
  }
}
