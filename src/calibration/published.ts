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
