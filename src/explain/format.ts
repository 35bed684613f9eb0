/** The text of an explanation: a header, where the time went, CPU time, then its sentences. */

import { formatSize } from "../machine/units.js";
import { type Explanation, engineLabel } from "./explain.js";
import { fmtGBps, fmtPct, fmtUs, plural } from "./words.js";

export function formatExplanation(e: Explanation): string {
  const c = e.config;
  const lines = [
    `${engineLabel(c)}, ${formatSize(c.folioSizeBytes)} folios × ${c.folioCount} (${formatSize(c.bytes)}), ${c.profile}, batch ${c.batchPages} pages: ${fmtUs(e.callTimeUs)}, ${fmtGBps(e.throughputGBps)}`,
    `Where the time went (syscall task): ${[...e.phases]
      .filter((p) => p.wallUs > 0)
      .sort((a, b) => b.wallUs - a.wallUs)
      .map((p) => `${p.phase} ${fmtUs(p.wallUs)} (${fmtPct(p.share)})`)
      .join("  ")}`,
    `CPU time: ${fmtUs(e.cpuTotalUs)} on ${plural(e.cpusUsed, "CPU")}: ${cpuKinds(e)}`,
    ...e.sentences,
  ];
  return `${lines.join("\n")}\n`;
}

/** The kinds of CPU work that took any time: "syscall task 2.00 ms, DMA interrupts 768 µs". */
function cpuKinds(e: Explanation): string {
  const k = e.cpuByKind;
  return [
    ["syscall task", k.syscall],
    ["copy threads", k.copyThreads],
    ["DMA interrupts", k.irq],
  ]
    .filter(([, us]) => (us as number) > 0)
    .map(([name, us]) => `${name} ${fmtUs(us as number)}`)
    .join(", ");
}
