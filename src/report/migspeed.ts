/**
 * numactl's migspeed output, one line per result, so scripts written for it read the model:
 * `printf("%1.1f Mbyte migrated in %1.2f secs. %3.1f Mbytes/second\n", ...)` where migspeed's
 * Mbyte is 2^20 bytes (it divides by 1024*1024.0) and the time is that of the one call it
 * times. Here the bytes are the region's and the time the mean virtual time of the timed calls.
 */
import type { Reporter } from "./reporter.js";

const MBYTE = 1024 * 1024;

/**
 * `x` as C's printf("%.*f", digits, x) prints it with glibc: like toFixed, except that an
 * exact tie rounds to the even digit (toFixed rounds it up), and inf/nan as glibc spells them.
 */
export function printfFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const abs = Math.abs(x);
  const sign = x < 0 ? "-" : "";
  // The exact decimal value of the double: a tie has digits + 1 fraction digits, the last a 5.
  const exact = abs.toFixed(100);
  const cut = exact.indexOf(".") + (digits === 0 ? 0 : digits + 1);
  const truncated = exact.slice(0, cut);
  const tie = /^\.?50*$/.test(exact.slice(cut));
  return sign + (tie && Number(truncated.at(-1)) % 2 === 0 ? truncated : abs.toFixed(digits));
}

/** One line of migspeed's output for `bytes` moved in `seconds`. */
export function migspeedLine(bytes: number, seconds: number): string {
  const mbytes = bytes / MBYTE;
  return `${printfFixed(mbytes, 1)} Mbyte migrated in ${printfFixed(seconds, 2)} secs. ${printfFixed(mbytes / seconds, 1)} Mbytes/second\n`;
}

export const reporter: Reporter = {
  name: "migspeed",
  description: "numactl migspeed's line per result: N Mbyte migrated in S secs. R Mbytes/second",
  needsRecording: false,
  binary: false,
  render: (input) =>
    input.results
      .map((r) => migspeedLine(r.folioSizeBytes * r.folioCount, r.callTimeUs / 1e6))
      .join(""),
};
