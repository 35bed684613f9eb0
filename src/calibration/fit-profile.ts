/**
 * The calibrated profile as YAML: the input profile's text with each fitted value replaced
 * and commented (the data it came from, its start, its standard error and the cells' error
 * before and after), and a header listing what the data left as it was, so every number
 * still says where it came from.
 */
import { isScalar, parseDocument } from "yaml";
import type { FitOutcome } from "./fit.js";

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

export function fittedProfileText(
  profileText: string,
  fit: FitOutcome,
  sources: readonly string[],
): string {
  const doc = parseDocument(profileText);
  const data = `${sources.join(", ")} (${fit.cells.length} cells)`;
  for (const f of fit.fitted) {
    doc.setIn(f.param.path, f.value);
    const node = doc.getIn(f.param.path, true);
    if (isScalar(node)) {
      const err = f.relError === null ? "" : ` ± ${percent(f.relError)}`;
      node.comment = ` fitted by pagemig calibrate to ${data}${err}; was ${f.start}; cells' rms error ${percent(fit.rmsBefore)} -> ${percent(fit.rmsAfter)}`;
    }
  }
  const left = fit.left.map((l) => `#   ${l.param.id} = ${l.value}: ${l.why}`);
  const header = [
    `# Calibrated by pagemig calibrate from ${data}: ${fit.fitted.map((f) => f.param.id).join(", ") || "nothing fitted"}.`,
    "# Left as they were (the data do not constrain them):",
    ...left,
  ].join("\n");
  return `${header}\n${doc.toString({ lineWidth: 0 })}`;
}
