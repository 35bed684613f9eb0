/**
 * The published measurements pagemig is calibrated against and checked with, kept as data with
 * their sources (users do not have the reference notes). Numbers exactly as published; GB/s as
 * the authors report it: bytes / 1e9 / s. Series: "Accelerate page migration with batch copying
 * and hardware offload" (Shivank Garg, AMD, with Zi Yan, NVIDIA). T1-T5 ran on a 2-socket AMD
 * Zen 3 EPYC server (32 cores, SMT on, one NUMA node per socket, PTDMA engines); T1-T4 time
 * move_pages(2) of 1 GiB between its two nodes, T7 of N 2M folios. T6 is a second machine.
 */

export const FOLIO_SIZES = ["4K", "16K", "64K", "128K", "256K", "512K", "1M", "2M"] as const;

export interface Measured {
  mean: number;
  sd: number;
}

export interface PublishedRow {
  /** What varies along the row's cells, e.g. folio sizes. */
  label: string;
  cells: readonly Measured[];
}

export interface PublishedTable {
  id: string;
  title: string;
  source: string;
  /** The settings the model must use to reproduce the table. */
  setup: string;
  /** Unit of the cells. */
  unit: string;
  columns: readonly string[];
  rows: readonly PublishedRow[];
}

const m = (mean: number, sd: number): Measured => ({ mean, sd });

export const T1: PublishedTable = {
  id: "T1",
  title: "Baseline: vanilla kernel, single-threaded folio-by-folio copy",
  source: "RFC v3, Linux 6.16-rc6 (Message-ID 20250923174752.35701-1-shivankg@amd.com)",
  setup: "migrator serial, NR_MAX_BATCHED_MIGRATION 512 (upstream)",
  unit: "GB/s",
  columns: FOLIO_SIZES,
  rows: [
    {
      label: "serial",
      cells: [
        m(3.73, 0.33),
        m(5.53, 0.36),
        m(5.9, 0.56),
        m(6.34, 0.08),
        m(6.5, 0.05),
        m(6.86, 0.61),
        m(6.92, 0.71),
        m(10.67, 0.36),
      ],
    },
  ],
};

const row = (label: string, cells: [number, number][]): PublishedRow => ({
  label,
  cells: cells.map(([mean, sd]) => m(mean, sd)),
});

export const T2: PublishedTable = {
  id: "T2",
  title: "Multi-threaded CPU copy (mtcopy, N kernel threads, spread across CCDs)",
  source: "RFC v3 (Message-ID 20250923174752.35701-1-shivankg@amd.com)",
  setup: "migrator mtcopy, placement spread, NR_MAX_BATCHED_MIGRATION 262144 (testing patch)",
  unit: "GB/s",
  columns: FOLIO_SIZES,
  rows: [
    row("1", [
      [3.84, 0.1],
      [5.23, 0.31],
      [6.01, 0.55],
      [6.34, 0.6],
      [7.16, 1.0],
      [7.12, 0.78],
      [7.1, 0.86],
      [10.94, 0.13],
    ]),
    row("2", [
      [4.04, 0.19],
      [6.72, 0.38],
      [7.68, 0.12],
      [8.15, 0.06],
      [8.45, 0.09],
      [9.29, 0.17],
      [9.87, 1.01],
      [17.8, 0.12],
    ]),
    row("4", [
      [4.72, 0.21],
      [8.41, 0.7],
      [10.08, 1.67],
      [11.44, 2.42],
      [10.45, 0.17],
      [12.6, 1.97],
      [12.38, 1.73],
      [31.41, 1.14],
    ]),
    row("16", [
      [4.77, 0.22],
      [8.95, 0.69],
      [10.36, 0.26],
      [11.03, 0.22],
      [11.58, 0.3],
      [13.88, 2.71],
      [13.0, 0.75],
      [35.89, 2.07],
    ]),
  ],
};

export const T3: PublishedTable = {
  id: "T3",
  title: "DMA offload (dcbm over PTDMA, N channels)",
  source: "RFC v3 (Message-ID 20250923174752.35701-1-shivankg@amd.com)",
  setup: "migrator dcbm, NR_MAX_BATCHED_MIGRATION 262144 (testing patch)",
  unit: "GB/s",
  columns: FOLIO_SIZES,
  rows: [
    row("1", [
      [2.75, 0.19],
      [2.86, 0.13],
      [3.28, 0.2],
      [4.57, 0.72],
      [5.03, 0.62],
      [4.69, 0.25],
      [4.78, 0.34],
      [12.5, 0.24],
    ]),
    row("2", [
      [3.35, 0.19],
      [4.57, 0.19],
      [5.35, 0.55],
      [6.71, 0.71],
      [7.4, 1.07],
      [7.38, 0.61],
      [7.21, 0.73],
      [14.23, 0.34],
    ]),
    row("4", [
      [4.01, 0.17],
      [6.36, 0.26],
      [7.71, 0.89],
      [9.4, 1.35],
      [10.27, 1.96],
      [10.6, 1.42],
      [12.35, 2.64],
      [26.84, 0.91],
    ]),
    row("16", [
      [4.61, 0.25],
      [9.08, 0.79],
      [11.14, 1.75],
      [13.95, 3.85],
      [13.69, 3.39],
      [15.47, 3.44],
      [15.44, 4.65],
      [63.69, 5.01],
    ]),
  ],
};

export const T4: PublishedTable = {
  id: "T4",
  title: "Copy-thread placement vs CCDs (mtcopy, 2M folios presumably)",
  source: "RFC v2, Linux 6.14-rc7 (Message-ID 20250319192211.10092-1-shivankg@amd.com)",
  setup: "migrator mtcopy, 2M folios, NR_MAX_BATCHED_MIGRATION 262144 (testing patch)",
  unit: "GB/s",
  columns: ["1", "2", "4", "8", "16"],
  rows: [
    row("spread", [
      [10.6, 0.06],
      [17.21, 0.12],
      [29.94, 0.16],
      [37.07, 1.62],
      [36.19, 0.97],
    ]),
    row("fill", [
      [10.44, 0.47],
      [10.93, 0.11],
      [10.99, 0.04],
      [11.08, 0.03],
      [17.91, 0.12],
    ]),
  ],
};

export const T5: PublishedTable = {
  id: "T5",
  title: "Cycle breakdown of the vanilla kernel's migrate_pages()",
  source: "RFC v1, Linux 6.8 (Message-ID 20240614221525.19170-1-shivankg@amd.com)",
  // The rows are workload sizes, the amount migrated by one migrate_pages() call, not folio
  // sizes: THP was off, so every folio is a 4 KiB page ("modeling page promotions for different
  // workload sizes"), and 256MB or 1GB cannot be folio sizes. Cycles are per 4 KiB page.
  setup:
    "vanilla kernel, 4K pages (THP, compaction and NUMA balancing off), remote node -> local node " +
    "(promotion), cpuinfo_cur_freq 2 GHz; per page, cycles of migrate_pages() and of its " +
    "folio_copy(); F = folio_copy / migrate_pages",
  unit: "cycles per 4 KiB page at 2 GHz; F a fraction",
  columns: ["migrate_pages", "folio_copy", "F"],
  rows: [
    row("4KB", [
      [17799, 4278],
      [794, 233],
      [0.048, 0.02],
    ]),
    row("2MB", [
      [3478, 95],
      [494, 28],
      [0.142, 0.005],
    ]),
    row("256MB", [
      [3669, 158],
      [815, 172],
      [0.221, 0.037],
    ]),
    row("1GB", [
      [3770, 56],
      [805, 60],
      [0.213, 0.013],
    ]),
  ],
};

/** T7's folio counts per call, the columns. */
export const T7_FOLIO_COUNTS = [1, 8, 16, 32, 64, 256, 512, 2048, 8192] as const;

export const T7: PublishedTable = {
  id: "T7",
  title: "Folios per call: the vanilla kernel's throughput for 2M folios",
  source: "RFC v3, Linux 6.16-rc6 (Message-ID 20250923174752.35701-1-shivankg@amd.com)",
  setup:
    "T1's benchmark with a region of N PMD-mapped 2M folios instead of 1 GiB, migrator serial, " +
    "NR_MAX_BATCHED_MIGRATION HPAGE_PUD_NR (262144 pages)",
  unit: "GB/s",
  columns: T7_FOLIO_COUNTS.map(String),
  rows: [
    {
      label: "serial",
      cells: [
        m(7.96, 2.22),
        m(8.2, 0.75),
        m(7.54, 0.61),
        m(8.68, 0.77),
        m(9.08, 1.03),
        m(10.53, 0.39),
        m(10.59, 0.29),
        m(10.86, 0.26),
        m(10.84, 0.18),
      ],
    },
  ],
};

export const T6: PublishedTable = {
  id: "T6",
  title: "A second machine: one core's folio_mc_copy() on Zen 5 with CXL",
  source: 'Side series "batch page copies in folio_copy() and folio_mc_copy()" (2026-04-27)',
  setup:
    "dual-socket AMD EPYC 9655 (Zen 5) with a CXL.mem node; in-kernel folio_mc_copy() of 2M " +
    "folios, source evicted from cache; the current copy routine and the series' bulk copy",
  unit: "GB/s",
  columns: ["current copy", "bulk-copy optimised"],
  rows: [
    row("DRAM0 -> DRAM1", [
      [18.65, 1.37],
      [38.03, 3.21],
    ]),
    row("DRAM0 -> CXL", [
      [25.46, 2.89],
      [39.29, 1.17],
    ]),
    row("CXL -> DRAM0", [
      [20.61, 3.95],
      [35.07, 0.62],
    ]),
  ],
};

/** A published claim: one figure (low === high) or a range, with what it measures. */
export interface PublishedClaim {
  id: string;
  /** The claim in the source's words. */
  quote: string;
  source: string;
  /** The quantity, in a few words. */
  measure: string;
  /** What the figure measures. */
  setup: string;
  low: number;
  high: number;
}

const RFC_V1 = "RFC v1 (2024-06-14, Message-ID 20240614221525.19170-1-shivankg@amd.com)";

export const CLAIMS: readonly PublishedClaim[] = [
  {
    id: "C1",
    quote: "folio copy can take up to 26.6% of the total migration cost for migrating 256MB",
    source: RFC_V1,
    measure: "copy share",
    setup: "share of migrate_pages() time spent copying, 256 MB of 4K pages (T5's setup)",
    low: 0.266,
    high: 0.266,
  },
  {
    id: "C2",
    quote: "copying folios between DRAM NUMA nodes can take ~25% of the total migration cost",
    source:
      'LSF/MM/BPF 2025 topic proposal "Enhancements to Page Migration with Multi-threading ' +
      'and Batch Offloading to DMA" (Shivank Garg, Zi Yan; linux-mm, 2025)',
    measure: "copy share",
    setup: "share of migration time spent copying, 256 MB between the two DRAM nodes",
    low: 0.25,
    high: 0.25,
  },
  {
    id: "C3",
    quote: "20-30% performance improvement in memory-intensive workloads",
    source: "the article on the series that pagemig starts from",
    measure: "performance gain",
    setup: "batch copying plus hardware offload against the traditional folio-by-folio copy",
    low: 0.2,
    high: 0.3,
  },
  {
    id: "C4",
    quote: "~6x for 2M folios",
    source:
      "the series' headline result as the project's mission states it; RFC v3's own tables " +
      "give 63.69 / 10.67 = 5.97 (T3 16 channels over T1, 2M)",
    measure: "throughput ratio",
    setup: "dcbm over 16 DMA channels against the vanilla serial copy, move_pages(2) of 2M THPs",
    low: 6,
    high: 6,
  },
];
