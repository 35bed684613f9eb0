/**
 * What the host commands know of the machine they run on: the probe's facts and the draft
 * profile the model boots for it (the same draft `pagemig probe --out` writes).
 */
import { readFileSync } from "node:fs";
import { parseProfile } from "../machine/parse.js";
import { type LoadedProfile, loadProfile } from "../machine/profile.js";
import { buildDraft } from "../probe/draft.js";
import { probeHost } from "../probe/probe.js";
import { hostFs } from "../probe/reader.js";
import type { HostFacts } from "../probe/types.js";

export const DRAFT_BASE = "zen3-2s-ptdma";

export interface HostContext {
  facts: HostFacts;
  /** The host's memory nodes in order: the draft numbers them 0..N-1 in this order. */
  memoryNodes: number[];
}

export function readHost(root = "/"): HostContext {
  const facts = probeHost(hostFs(root));
  return { facts, memoryNodes: facts.nodes.filter((n) => n.hasMemory).map((n) => n.id) };
}

/** The draft profile of the host, as `pagemig probe --out` writes it, loaded. */
export function draftProfile(facts: HostFacts, base = DRAFT_BASE): LoadedProfile {
  const b = loadProfile(base);
  const text = buildDraft(facts, { profile: b, text: readFileSync(b.source, "utf8") }, "host");
  return parseProfile(text, "host draft", { source: "host draft" });
}
