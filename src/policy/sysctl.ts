/**
 * The kernel tunables a scenario sets (`sysctl:`), under their /proc/sys names: `kernel.*`
 * (kernel.numa_balancing, ...) and `vm.*` (vm.min_free_kbytes, ...); a knob that lives in sysfs
 * takes the name of its file under /sys/kernel/mm (`mm.numa.demotion_enabled`). Each default is
 * the kernel's. A scenario overrides one with `--set sysctl.kernel.numa_balancing=2`.
 */
import { z } from "zod";
import { DEFAULT_WATERMARK_SCALE_FACTOR } from "../mm/watermarks.js";

/** kernel.numa_balancing's bits (include/linux/sched/sysctl.h). */
export const NUMA_BALANCING_NORMAL = 1;
export const NUMA_BALANCING_MEMORY_TIERING = 2;

/** A debugfs knob of sched/numa_balancing/ (a u32 in ms or MB) with its kernel default. */
const numabKnob = (min: number, dflt: number, what: string) =>
  z
    .int()
    .min(min)
    .max(2 ** 32 - 1)
    .default(dflt)
    .describe(
      `${what} (default ${dflt}); /proc/sys/kernel/ before Linux 5.13, debugfs sched/numa_balancing/ since`,
    );

/** /sys/kernel/mm/transparent_hugepage/defrag: what a THP fault may do when no 2M block is free. */
export const THP_DEFRAG = ["always", "defer", "defer+madvise", "madvise", "never"] as const;
export type ThpDefrag = (typeof THP_DEFRAG)[number];

export const SysctlSchema = z.strictObject({
  kernel: z
    .strictObject({
      numa_balancing: z
        .int()
        .min(0)
        .max(3)
        .default(0)
        .describe(
          "NUMA balancing: 0 off, 1 NUMA_BALANCING_NORMAL, 2 NUMA_BALANCING_MEMORY_TIERING, 3 both " +
            "(0 here; distribution kernels built with CONFIG_NUMA_BALANCING_DEFAULT_ENABLED boot with 1)",
        ),
      numa_balancing_scan_delay_ms: numabKnob(0, 1000, "ms before a new process is first scanned"),
      numa_balancing_scan_period_min_ms: numabKnob(
        1,
        1000,
        "ms to scan a task's whole memory at the fastest",
      ),
      numa_balancing_scan_period_max_ms: numabKnob(
        1,
        60000,
        "ms to scan a task's whole memory at the slowest",
      ),
      numa_balancing_scan_size_mb: numabKnob(
        1,
        256,
        "MB of a task's memory made PROT_NONE per scan",
      ),
      numa_balancing_promote_rate_limit_MBps: z
        .int()
        .min(0)
        .default(65536)
        .describe("memory tiering: MB/s of slow-tier pages a node may promote (65536)"),
      numa_balancing_hot_threshold_ms: z
        .int()
        .min(1)
        .default(1000)
        .describe(
          "memory tiering: hint-fault latency under which a page is hot, ms (1000); debugfs sched/numa_balancing/hot_threshold_ms",
        ),
      kpromoted_period_ms: z
        .int()
        .min(0)
        .max(60000)
        .default(0)
        .describe(
          "memory tiering, the batched promotion proposed upstream (kpromoted, not in mainline): 0 promotes each hot folio in its hint fault; N gathers them and a kpromoted thread per node promotes them in batches every N ms",
        ),
    })
    .prefault({})
    .describe("/proc/sys/kernel"),
  vm: z
    .strictObject({
      min_free_kbytes: z
        .int()
        .min(0)
        .optional()
        .describe(
          "free memory the kernel keeps, KiB, shared among nodes by size (default: sqrt(16 * lowmem KiB), 128..262144, as at boot)",
        ),
      watermark_scale_factor: z
        .int()
        .min(1)
        .max(3000)
        .default(DEFAULT_WATERMARK_SCALE_FACTOR)
        .describe("gap between the min, low, high and promo watermarks, in 1/10000 of a node (10)"),
      compaction_proactiveness: z
        .int()
        .min(0)
        .max(100)
        .default(20)
        .describe("0..100: how hard kcompactd keeps the fragmentation score down (0: not at all)"),
      extfrag_threshold: z
        .int()
        .min(0)
        .max(1000)
        .default(500)
        .describe(
          "0..1000: compaction skips an order above 3 whose fragmentation index is at most this (a failure for want of memory, not fragmentation)",
        ),
    })
    .prefault({})
    .describe("/proc/sys/vm"),
  mm: z
    .strictObject({
      numa: z
        .strictObject({
          demotion_enabled: z
            .boolean()
            .default(false)
            .describe(
              "reclaim demotes cold pages to the next memory tier instead of dropping them",
            ),
        })
        .prefault({}),
      transparent_hugepage: z
        .strictObject({
          defrag: z
            .enum(THP_DEFRAG)
            .default("madvise")
            .describe(
              "a THP fault that finds no free 2M block: always (direct compaction), defer (wake kcompactd), defer+madvise, madvise (direct for MADV_HUGEPAGE regions; the model's 2M regions are), never",
            ),
        })
        .prefault({})
        .describe("/sys/kernel/mm/transparent_hugepage"),
    })
    .prefault({})
    .describe("/sys/kernel/mm"),
});

export type Sysctl = z.output<typeof SysctlSchema>;
