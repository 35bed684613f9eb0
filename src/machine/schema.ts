/**
 * The machine profile schema: the one source of the MachineProfile type, of validation with
 * exact field paths in messages, and of the JSON Schema that editors and the lab use.
 *
 * Sizes are written as strings ("256G") in profiles and held as byte counts once parsed, so
 * the JSON Schema describes the document (input) side.
 */
import { z } from "zod";
import { MAX_SECTIONS, NODE_MEMORY_UNIT, SECTION_BYTES, sectionsSpanned } from "./memory-layout.js";
import { formatSize, tryParseSize } from "./units.js";

const positive = (description: string) => z.number().positive().describe(description);
const nonNegative = (description: string) => z.number().min(0).describe(description);

/** A node's memory: a size string such as "256G", or a byte count; whole 4M blocks. */
const memorySize = z
  .union([z.string(), z.int()])
  .transform((value, ctx) => {
    const r = typeof value === "number" ? checkBytes(value) : tryParseSize(value);
    if (!r.ok) {
      ctx.issues.push({ code: "custom", message: r.reason, input: value });
      return z.NEVER;
    }
    if (r.bytes % NODE_MEMORY_UNIT !== 0) {
      ctx.issues.push({
        code: "custom",
        message: "must be a multiple of 4M (the buddy allocator's largest block)",
        input: value,
      });
      return z.NEVER;
    }
    return r.bytes;
  })
  .describe("Memory of the node: a size with binary units (e.g. 256G, 1T) or a byte count");

function checkBytes(n: number): { ok: true; bytes: number } | { ok: false; reason: string } {
  return n > 0 ? { ok: true, bytes: n } : { ok: false, reason: "size must be greater than zero" };
}

const nodeSchema = z.strictObject({
  id: z.int().min(0).describe("NUMA node id; ids are 0..N-1"),
  socket: z.int().min(0).describe("Socket whose IO die the node's memory hangs off"),
  memory: memorySize,
  kind: z
    .enum(["dram", "cxl", "gpu"])
    .describe(
      "dram: local DIMMs, CPUs attached; cxl: CPU-less CXL.mem node; gpu: CPU-less GPU memory the GPU driver onlines as a NUMA node (e.g. GH200's HBM), which must carry its own memoryGBps and latencyNs",
    ),
  memoryGBps: positive(
    "This node's sustained memory bandwidth, GB/s, when it is not fabric.memoryGBps (a CXL expander: its link and media)",
  ).optional(),
  latencyNs: positive(
    "This node's idle load-to-use latency from a CPU of its own socket, ns, when it is not memory.dramLatencyNs or memory.cxlLatencyNs by its kind",
  ).optional(),
  queueingNs: nonNegative(
    "This node's loaded-latency curve, when it is not memory.queueingNs: at utilisation u an access waits queueingNs * u / (1 - u) more, ns",
  ).optional(),
});

const topologySchema = z.strictObject({
  sockets: z.int().min(1).describe("Number of sockets"),
  ccdsPerSocket: z
    .int()
    .min(1)
    .describe("Core complex dies per socket; a CCD shares an L3 and one link to the IO die"),
  coresPerCcd: z.int().min(1).describe("Cores per CCD"),
  threadsPerCore: z.literal([1, 2]).describe("Hardware threads per core (2 with SMT)"),
  nodes: z.array(nodeSchema).min(2).describe("NUMA nodes with memory"),
});

const dmaDeviceSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/, "must be lower-case letters, digits, '_' or '-'")
    .describe("Engine name; the engines of this entry are <name>0, <name>1, ..."),
  kind: z
    .enum(["ptdma", "sdxi", "dsa"])
    .describe("AMD PTDMA, SNIA SDXI or Intel DSA; all are modelled as memcpy channels"),
  sockets: z
    .array(z.int().min(0))
    .min(1)
    .describe("Socket of each engine, one entry per engine, in the order channels are handed out"),
  channelsPerDevice: z.int().min(1).describe("DMA_MEMCPY channels of one engine"),
  channelGBps: positive("Copy rate of one channel, GB/s"),
  deviceGBps: positive("Copy rate of one engine, shared by its channels, GB/s"),
  descriptorNs: nonNegative("Engine time per descriptor before its bytes move, ns"),
  maxSegmentBytes: z
    .int()
    .min(4096)
    .describe(
      "Largest scatter-gather segment the device takes (dma_get_max_seg_size; 64 KiB unless the driver sets it): the IOMMU merges contiguous entries up to it",
    ),
  iommuPageNs: nonNegative(
    "Engine time per IOMMU page it translates (IOTLB miss and walk): 4 KiB pages, or one per PMD-size folio, ns",
  ),
});

const dmaSchema = z
  .strictObject({
    devices: z
      .array(dmaDeviceSchema)
      .min(1)
      .describe("DMA engines; channels are handed out engine by engine, in order"),
    cpu: z
      .strictObject({
        channelSetupNs: nonNegative(
          "Per channel per batch: request, two sg_alloc_table, issue_pending, release, ns",
        ),
        mapSegmentNs: nonNegative(
          "Per scatterlist entry per side: DMA map and unmap including the IOMMU, ns",
        ),
        prepDescriptorNs: nonNegative("Per descriptor: dmaengine_prep_dma_memcpy and submit, ns"),
        interruptNs: nonNegative("Per completion interrupt: handler, callback and wakeup, ns"),
      })
      .describe("Driver CPU costs on the migrating task (dmaengine API)"),
  })
  .describe("DMA copy engines, for the dcbm migrators; none when absent");

const memorySchema = z
  .strictObject({
    dramLatencyNs: positive(
      "Idle load-to-use latency of a DRAM node from a CPU of the node's own socket (a dependent random read that misses every cache), ns",
    ),
    cxlLatencyNs: positive("The same for a CXL.mem node from its own socket, ns").optional(),
    socketHopNs: nonNegative(
      "Added to that latency when the CPU is on another socket (the cross-socket link and the remote coherence lookup), ns",
    ),
    queueingNs: nonNegative(
      "Loaded latency: at utilisation u of the memory (or cross-socket link) an access waits queueingNs * u / (1 - u) more, ns",
    ),
    hintFaultNs: nonNegative(
      "A NUMA hint fault that migrates nothing: exception entry and exit, the page-table walk, do_numa_page()'s checks and restore, ns",
    ).optional(),
  })
  .describe("Memory latency as applications feel it; applications need it, migration does not");

export const MachineProfileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, "must be lower-case letters, digits, '.', '_' or '-'")
      .describe("Profile name, as given to --profile"),
    description: z.string().describe("One line describing the machine"),
    topology: topologySchema,
    cpu: z.strictObject({
      frequencyGHz: positive("Core clock while migrating, GHz"),
      copyGBps: positive(
        "One core's kernel page copy bandwidth (copy_page / folio_mc_copy), cross-node, GB/s",
      ),
    }),
    fabric: z.strictObject({
      fclkGHz: positive("Infinity Fabric clock, GHz"),
      ccdReadBytesPerClk: positive("CCD <- IO die link width, bytes per FCLK cycle"),
      ccdWriteBytesPerClk: positive("CCD -> IO die link width, bytes per FCLK cycle"),
      ccdRemoteGBps: positive(
        "A CCD's sustained bandwidth for traffic to another socket's memory (bounded by its outstanding misses), GB/s",
      ),
      ccdsPerQuadrant: z
        .int()
        .min(1)
        .describe("CCDs attached to one IO-die quadrant (they share its port)"),
      quadrantRemoteGBps: positive(
        "An IO-die quadrant's bandwidth for its CCDs' cross-socket traffic, GB/s",
      ),
      socketRemoteGBps: positive(
        "A socket's bandwidth for CPU-originated coherent traffic to another socket, GB/s",
      ),
      coherentRemoteGBps: positive(
        "The machine's bandwidth for coherent CPU traffic between sockets (probes and ownership transfers included), GB/s",
      ),
      interSocketGBps: positive("Socket-to-socket link bandwidth per direction, GB/s"),
      memoryGBps: positive("Sustained bandwidth of one node's memory controllers, GB/s"),
    }),
    kernel: z.strictObject({
      arch: z.enum(["x86_64", "arm64"]).describe("Kernel architecture"),
      thpMigration: z.boolean().describe("CONFIG_ARCH_ENABLE_THP_MIGRATION: THPs migrate whole"),
      nrMaxBatchedMigration: z
        .int()
        .min(1)
        .describe("NR_MAX_BATCHED_MIGRATION in base pages (upstream: HPAGE_PMD_NR = 512)"),
    }),
    costs: z.strictObject({
      syscallNs: nonNegative("move_pages/migrate_pages entry, checks and exit, per call, ns"),
      lruDrainCpuNs: nonNegative(
        "lru_cache_disable() at the start of move_pages/migrate_pages (an expedited RCU grace period, then a drain work item queued and flushed on every online CPU), per online CPU, ns",
      ),
      migrateCallNs: nonNegative(
        "Per migrate_pages() call: the first touch of the kernel state a call works on (mm, VMA, page-table levels, the zone's free and per-CPU lists, the lruvec) and the call's own bookkeeping, ns",
      ),
      pageWalkNs: nonNegative("Per address: page-table walk, isolation, list add, ns"),
      folioNs: nonNegative(
        "Per folio in migrate_pages: allocate destination, lock, rmap walk setup, metadata move, LRU add, unlock, free source, ns",
      ),
      pteNs: nonNegative("Per PTE: unmap to a migration entry plus remap, ns"),
      pmdNs: nonNegative("Per PMD-mapped THP: unmap to a migration entry plus remap, ns"),
      batchNs: nonNegative("Per migrate_pages_batch call: list handling, LRU drain, ns"),
      tlbFlushNs: nonNegative("One local TLB flush, ns"),
      ipiNs: nonNegative("Sender-side cost per remote CPU in a TLB shootdown, ns"),
      workDispatchNs: nonNegative(
        "Caller's cost to hand one work item to a kworker: queue_work_on plus the wakeup, ns",
      ),
      copyChunkNs: nonNegative(
        "A copy thread's cost per chunk it copies (kmap, copy_mc entry), ns",
      ),
    }),
    dma: dmaSchema.optional(),
    memory: memorySchema.optional(),
  })
  .superRefine((p, ctx) => {
    const { nodes, sockets, ccdsPerSocket } = p.topology;
    const spanned = sectionsSpanned(nodes.map((n) => n.memory));
    if (spanned > MAX_SECTIONS) {
      ctx.addIssue({
        code: "custom",
        path: ["topology", "nodes"],
        message: `the nodes span ${formatSize(spanned * SECTION_BYTES)} of 128M sections; the model addresses at most ${formatSize(MAX_SECTIONS * SECTION_BYTES)}`,
      });
    }
    const seen = new Set<number>();
    nodes.forEach((node, i) => {
      if (seen.has(node.id)) {
        ctx.addIssue({
          code: "custom",
          path: ["topology", "nodes", i, "id"],
          message: `duplicate node id ${node.id}`,
        });
      } else if (node.id >= nodes.length) {
        ctx.addIssue({
          code: "custom",
          path: ["topology", "nodes", i, "id"],
          message: `node ids must be 0..${nodes.length - 1} (got ${node.id})`,
        });
      }
      seen.add(node.id);
      // A GPU's memory is reached over the CPU-GPU link, never at the socket's DIMM figures.
      if (node.kind === "gpu") {
        for (const key of ["memoryGBps", "latencyNs"] as const) {
          if (node[key] === undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["topology", "nodes", i, key],
              message: "required for a gpu node (its link and memory are not the socket's)",
            });
          }
        }
      }
      if (node.socket >= sockets) {
        ctx.addIssue({
          code: "custom",
          path: ["topology", "nodes", i, "socket"],
          message: `socket ${node.socket} out of range (sockets: ${sockets})`,
        });
      }
    });
    // CPUs belong to DRAM nodes; a socket's CCDs are split evenly among its DRAM nodes, as
    // with AMD's NPS2/NPS4 settings, so every socket needs at least one and an even split.
    for (let s = 0; s < sockets; s++) {
      const dram = nodes.filter((n) => n.socket === s && n.kind === "dram").length;
      if (dram === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["topology", "nodes"],
          message: `socket ${s} has no dram node`,
        });
      } else if (ccdsPerSocket % dram !== 0) {
        ctx.addIssue({
          code: "custom",
          path: ["topology", "ccdsPerSocket"],
          message: `must be a multiple of the ${dram} dram nodes of socket ${s}`,
        });
      }
    }
    p.dma?.devices.forEach((dev, i) => {
      dev.sockets.forEach((socket, j) => {
        if (socket >= sockets) {
          ctx.addIssue({
            code: "custom",
            path: ["dma", "devices", i, "sockets", j],
            message: `socket ${socket} out of range (sockets: ${sockets})`,
          });
        }
      });
    });
  });

/** A validated profile; node memory is in bytes. */
export type MachineProfile = z.output<typeof MachineProfileSchema>;
/** A profile as written in YAML or JSON; node memory may be a size string. */
export type MachineProfileDocument = z.input<typeof MachineProfileSchema>;

export type ProfileValidation =
  | { ok: true; profile: MachineProfile }
  | { ok: false; problems: string[] };

/** Validates a parsed document; each problem reads `<path>: <message>`, e.g. `topology.nodes[1].memory: ...`. */
export function validateProfile(data: unknown): ProfileValidation {
  const r = MachineProfileSchema.safeParse(data, {
    error: (issue) =>
      issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined,
  });
  if (r.success) return { ok: true, profile: r.data };
  const problems: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        problems.push(`${formatPath([...issue.path, key])}: unknown key`);
    } else {
      const path = formatPath(issue.path);
      problems.push(path === "" ? issue.message : `${path}: ${issue.message}`);
    }
  }
  return { ok: false, problems };
}

/** `["topology", "nodes", 1, "memory"]` -> `topology.nodes[1].memory`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The document form of a profile (sizes as strings), which validates against the schema. */
export function toProfileDocument(p: MachineProfile): MachineProfileDocument {
  return {
    name: p.name,
    description: p.description,
    topology: {
      ...p.topology,
      nodes: p.topology.nodes.map((n) => ({ ...n, memory: formatSize(n.memory) })),
    },
    cpu: { ...p.cpu },
    fabric: { ...p.fabric },
    kernel: { ...p.kernel },
    costs: { ...p.costs },
    ...(p.dma === undefined ? {} : { dma: structuredClone(p.dma) }),
    ...(p.memory === undefined ? {} : { memory: { ...p.memory } }),
  };
}

/** JSON Schema (draft 2020-12) of the profile document, for editors and the lab. */
export function machineProfileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(MachineProfileSchema, { io: "input" });
}
