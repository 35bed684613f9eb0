/**
 * A candidate as settings to apply: the model's driver parameters, and the kernel build,
 * sysfs and module-parameter lines of the series (offload-series-design.md). Only knobs the
 * series defines are written as commands; the rest are comments saying what would be needed.
 */
import { formatReasonMask } from "../copy/reason-mask.js";
import { formatSize } from "../machine/units.js";
import { PAGE_SIZE } from "../mm/folio.js";
import { type EngineConfig, UPSTREAM_BATCH_PAGES } from "./space.js";

export interface DriverParameters {
  migrator: string;
  /** NR_MAX_BATCHED_MIGRATION, base pages. */
  batchPages: number;
  threads?: number;
  placement?: string;
  channels?: number;
  minBatchFolios?: number;
  /** Reasons that batch and offload, as migrate_reason_names ("none" for the vanilla flow). */
  reasonMask: string;
}

export interface Settings {
  driver: DriverParameters;
  /** Shell lines; `#` lines are what the series has no knob for. */
  lines: string[];
  /** The same engine in the model's benchmark. */
  bench: string;
}

const DCBM_PARAMS = "/sys/module/dcbm/parameters";
const CPU_MT = "/sys/kernel/cpu_mt";

export function settingsFor(c: EngineConfig, reasonMask: number): Settings {
  const mask = formatReasonMask(reasonMask);
  const driver: DriverParameters = {
    migrator: c.migrator,
    batchPages: c.batchPages,
    reasonMask: mask,
  };
  const lines: string[] = [];
  if (c.batchPages === UPSTREAM_BATCH_PAGES) {
    lines.push(`# NR_MAX_BATCHED_MIGRATION: upstream ${UPSTREAM_BATCH_PAGES} pages, no rebuild`);
  } else {
    lines.push(
      `# rebuild with NR_MAX_BATCHED_MIGRATION=${c.batchPages} (${formatSize(c.batchPages * PAGE_SIZE)} per batch; a compile-time constant, upstream HPAGE_PMD_NR = ${UPSTREAM_BATCH_PAGES})`,
    );
  }
  let bench = `pagemig bench move-pages --migrator ${c.migrator} --batch-pages ${c.batchPages}`;
  switch (c.migrator) {
    case "serial":
      lines.push(
        `# no copy-offload migrator: the vanilla flow (if dcbm is loaded: echo 0 > ${DCBM_PARAMS}/offloading)`,
      );
      break;
    case "batch-cpu":
      lines.push(
        "# batch-cpu: migrate_folios_mc_copy(), the default offload_copy of v6; no series knob selects it alone:",
        `# register a migrator that uses it with migrate_offload_register(m, ${mask})`,
      );
      break;
    case "mtcopy":
      driver.threads = c.workers;
      driver.placement = c.placement;
      bench += ` --threads ${c.workers} --placement ${c.placement}`;
      lines.push(`echo ${c.workers} > ${CPU_MT}/threads`, `echo 1 > ${CPU_MT}/offloading`);
      lines.push(
        c.placement === "spread"
          ? `# placement spread: the "mtcopy: spread threads across die" testing patch (v2/v3)`
          : "# placement fill: workers pinned to one CCD's cores first; not a series knob (driver change)",
        `# reason mask ${mask}: mtcopy (v3) has no reason_mask parameter; with v6 registration: migrate_offload_register(m, ${mask}) or migrate_offload_set_reason_mask()`,
      );
      break;
    case "dcbm":
      driver.channels = c.workers;
      driver.minBatchFolios = c.minBatchFolios;
      bench += ` --channels ${c.workers}`;
      lines.push(
        `echo ${c.workers} > ${DCBM_PARAMS}/nr_dma_chan`,
        `echo ${mask} > ${DCBM_PARAMS}/reason_mask`,
        `echo 1 > ${DCBM_PARAMS}/offloading`,
      );
      if (c.minBatchFolios > 0) {
        bench += ` --min-batch ${c.minBatchFolios}`;
        lines.push(
          `# min batch ${c.minBatchFolios} folios: no dcbm parameter in the series (dcbm never declines); a driver change returning -EOPNOTSUPP for batches of fewer folios`,
        );
      }
      break;
    default:
      throw new Error(`no settings for migrator ${c.migrator}`);
  }
  return { driver, lines, bench };
}
