/**
 * `pagemig explain SCENARIO`: where the applications' time went in a scenario run, and what
 * the copy engine changed against the vanilla kernel (the same scenario with serial copy), or,
 * given a run's JSON report, each run of its sweep against the first.
 */
import { readUserFile, validated } from "../../config/document.js";
import { UsageError } from "../../errors.js";
import {
  compareScenario,
  explainScenario,
  type ScenarioComparison,
  type ScenarioExplanation,
} from "../../explain/scenario.js";
import { RUN_SCHEMA, type RunDocument } from "../../report/run/json.js";
import { runDocumentSchema } from "../../report/run/read.js";
import { engineText } from "../../report/run/table.js";
import { runScenario, type ScenarioResult } from "../../workload/app/run-scenario.js";
import { scenarioVariants } from "./run.js";

export interface ExplainedScenario {
  runs: ScenarioExplanation[];
  comparisons: ScenarioComparison[];
}

/** A run's name: its sweep settings, else its engine. */
function runName(settings: readonly string[], r: ScenarioResult): string {
  return settings.length > 0 ? settings.join(" ") : `engine ${engineText(r)}`;
}

/** A `pagemig run` JSON report, or null when `text` is not one (then it is a scenario). */
function runDocument(text: string, file: string, set: readonly string[]): RunDocument | null {
  if (!text.trimStart().startsWith("{")) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if ((doc as { schema?: unknown }).schema !== RUN_SCHEMA) return null;
  if (set.length > 0) throw new UsageError("--set: a run's report is explained as it is");
  validated(runDocumentSchema, doc, file);
  // Used as parsed: the results keep every field the schema does not name.
  return doc as RunDocument;
}

/** Each run explained; with more than one, each after the first against the first. */
function explainRuns(runs: { name: string; result: ScenarioResult }[]): ExplainedScenario {
  const explained = runs.map((r) => explainScenario(r.result, r.name));
  return {
    runs: explained,
    comparisons: explained.slice(1).map((e) => compareScenario(e, explained[0])),
  };
}

export function explainScenarioFile(file: string, set: readonly string[]): ExplainedScenario {
  const text = readUserFile(file, file);
  const doc = runDocument(text, file, set);
  if (doc !== null) {
    return explainRuns(
      doc.runs.map((r) => ({
        name: runName(r.settings, r.result as ScenarioResult),
        result: r.result as ScenarioResult,
      })),
    );
  }
  const [v] = scenarioVariants(file, { set: [...set], sweep: [] });
  const result = runScenario(v.scenario, v.profile);
  const run = { name: runName([], result), result };
  const e = v.scenario.engine;
  if (e.migrator === "serial" && e.batchPages === undefined) return explainRuns([run]);
  // The vanilla kernel: copies one folio at a time on the migrating CPU, batches of the default size.
  const vanilla = {
    ...v.scenario,
    engine: { migrator: "serial" as const, placement: e.placement },
  };
  const reference = runScenario(vanilla, v.profile);
  return explainRuns([{ name: "the vanilla kernel (serial copy)", result: reference }, run]);
}
