/**
 * The published measurements pagemig is calibrated against, kept as data with their sources
 * (users do not have the reference notes). GB/s as the authors report it: bytes / 1e9 / s.
 * Series: "Accelerate page migration with batch copying and hardware offload" (Shivank Garg,
 * AMD, with Zi Yan, NVIDIA), move_pages(2) of 1 GiB between the two nodes of a 2-socket AMD
 * Zen 3 EPYC server with PTDMA engines.
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
  columns: readonly string[];
  rows: readonly PublishedRow[];
}

const m = (mean: number, sd: number): Measured => ({ mean, sd });

export const T1: PublishedTable = {
  id: "T1",
  title: "Baseline: vanilla kernel, single-threaded folio-by-folio copy",
  source: "RFC v3, Linux 6.16-rc6 (Message-ID 20250923174752.35701-1-shivankg@amd.com)",
  setup: "migrator serial, NR_MAX_BATCHED_MIGRATION 512 (upstream)",
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
