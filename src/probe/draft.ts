/**
 * The draft machine profile: the host's topology (topology.ts) and DMA engines, with every
 * parameter the probe cannot measure taken from a base profile and saying so. Returns YAML
 * text with a comment on every value; no file system access (the caller supplies the base's
 * text, whose comments are the source notes carried over).
 */
import {
  type Document,
  isCollection,
  isScalar,
  parseDocument,
  Document as YamlDocument,
} from "yaml";
import type { MachineProfile, MachineProfileDocument } from "../machine/schema.js";
import { formatSize } from "../machine/units.js";
import { dmaKind } from "./dma.js";
import { distanceTable } from "./report.js";
import { type DraftTopology, draftTopology } from "./topology.js";
import type { HostFacts } from "./types.js";

export interface DraftBase {
  profile: MachineProfile;
  /** The base profile's YAML, for the source note of each value it lends. */
  text: string;
}

type Path = readonly (string | number)[];
type Dma = NonNullable<MachineProfile["dma"]>;

/** The rates of a DMA engine, which only a measurement could give. */
const ENGINE_RATES = [
  "channelGBps",
  "deviceGBps",
  "descriptorNs",
  "maxSegmentBytes",
  "iommuPageNs",
] as const;

interface DraftDma {
  value: Dma | undefined;
  /** Per device entry: the base device lending its rates and the notes on the host's values. */
  entries: { lender: number; driver: string; sockets: string; channels: string }[];
  /** What became of the host's engines, for the header. */
  summary: string;
}

export function buildDraft(f: HostFacts, base: DraftBase, name: string): string {
  const topo = draftTopology(f);
  const b = base.profile;
  const dma = draftDma(f, topo, b);
  const doc = new YamlDocument({
    name,
    description: `Draft from pagemig probe: ${f.cpuModel ?? "unknown CPU"}, ${plural(topo.sockets.value, "socket")}, ${topo.nodes.length} nodes, costs of ${b.name}`,
    topology: {
      sockets: topo.sockets.value,
      ccdsPerSocket: topo.ccdsPerSocket.value,
      coresPerCcd: topo.coresPerCcd.value,
      threadsPerCore: topo.threadsPerCore.value,
      nodes: topo.nodes.map((n) => ({
        id: n.id,
        socket: n.socket,
        memory: formatSize(n.memory),
        kind: n.kind,
      })),
    },
    cpu: b.cpu,
    fabric: b.fabric,
    kernel: { ...b.kernel, arch: f.arch ?? b.kernel.arch },
    costs: b.costs,
    ...(dma.value === undefined ? {} : { dma: dma.value }),
  } satisfies MachineProfileDocument);

  const baseDoc = parseDocument(base.text);
  const lent = (path: Path) => {
    const source = commentAt(baseDoc, path) ?? commentAt(baseDoc, path.slice(0, 1));
    return `not measured, from ${b.name}${source === undefined ? "" : `: ${source}`}`;
  };
  const note = (path: Path, text: string) => {
    const node = doc.getIn(path, true);
    if (!isScalar(node) && !isCollection(node)) throw new Error(`draft: nothing at ${path}`);
    node.comment = ` ${text}`;
    // Short lists and node entries read best on one line, as in the shipped profiles.
    if (isCollection(node) && path.length > 2) node.flow = true;
  };

  for (const key of ["sockets", "ccdsPerSocket", "coresPerCcd", "threadsPerCore"] as const) {
    note(["topology", key], topo[key].note);
  }
  topo.nodes.forEach((n, i) => {
    note(["topology", "nodes", i], n.note);
  });
  for (const section of ["cpu", "fabric", "costs"] as const) {
    for (const key of Object.keys(b[section])) note([section, key], lent([section, key]));
  }
  note(["kernel", "arch"], f.arch === null ? lent(["kernel", "arch"]) : "host: /proc/cpuinfo");
  note(["kernel", "thpMigration"], lent(["kernel", "thpMigration"]));
  note(["kernel", "nrMaxBatchedMigration"], lent(["kernel", "nrMaxBatchedMigration"]));
  dma.entries.forEach((e, i) => {
    const at = (key: string): Path => ["dma", "devices", i, key];
    note(at("name"), "the engines' kind");
    note(at("kind"), `host: driver ${e.driver}`);
    note(at("sockets"), e.sockets);
    note(at("channelsPerDevice"), e.channels);
    for (const key of ENGINE_RATES) note(at(key), lent(["dma", "devices", e.lender, key]));
  });
  for (const key of Object.keys(dma.value?.cpu ?? {})) {
    note(["dma", "cpu", key], lent(["dma", "cpu", key]));
  }
  doc.commentBefore = header(f, b.name, dma.summary, topo.remarks);
  return doc.toString({ lineWidth: 0 });
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The comment on the value at `path` of a parsed profile, trimmed; undefined when none. */
function commentAt(doc: Document, path: Path): string | undefined {
  const node = doc.getIn(path, true);
  if (!isScalar(node) && !isCollection(node)) return undefined;
  // A section's own comment (`costs: # ...`) is parsed as the comment before its first entry.
  const text = (node.comment ?? (path.length === 1 ? node.commentBefore : undefined))?.trim();
  return text === undefined || text === "" ? undefined : text;
}

/**
 * One device entry per modelled kind, engines in host order. Rates come from the base's
 * device of the same kind (its first device when it has none of that kind).
 */
function draftDma(f: HostFacts, topo: DraftTopology, b: MachineProfile): DraftDma {
  const engines = f.dma.flatMap((e) => {
    const kind = dmaKind(e.driver);
    return kind === undefined ? [] : [{ ...e, kind, driver: e.driver ?? "" }];
  });
  const none = (summary: string): DraftDma => ({ value: undefined, entries: [], summary });
  if (engines.length === 0) {
    return none("No dma section: the host has no DMA engine pagemig models, so dcbm cannot run.");
  }
  if (b.dma === undefined) {
    return none(`No dma section: ${b.name} has no DMA engine rates to lend the host's engines.`);
  }
  const baseDevices = b.dma.devices;
  const socketOf = (node: number | null) =>
    node === null ? undefined : topo.socketOfHostNode.get(node);
  const devices: Dma["devices"] = [];
  const entries: DraftDma["entries"] = [];
  for (const kind of [...new Set(engines.map((e) => e.kind))].sort()) {
    const mine = engines.filter((e) => e.kind === kind);
    const lender = Math.max(
      0,
      baseDevices.findIndex((d) => d.kind === kind),
    );
    const counts = [...new Set(mine.map((e) => e.channels.length))].sort((x, y) => x - y);
    const unplaced = mine.filter((e) => socketOf(e.node) === undefined).map((e) => e.name);
    const { channelGBps, deviceGBps, descriptorNs, maxSegmentBytes, iommuPageNs } =
      baseDevices[lender];
    devices.push({
      name: kind,
      kind,
      sockets: mine.map((e) => socketOf(e.node) ?? 0),
      // The schema has one channel count per entry: the fewest is one every engine has.
      channelsPerDevice: counts[0],
      channelGBps,
      deviceGBps,
      descriptorNs,
      maxSegmentBytes,
      iommuPageNs,
    });
    entries.push({
      lender,
      driver: mine[0].driver,
      sockets:
        `host: the sockets of ${mine.map((e) => e.name).join(" ")} (device/numa_node)` +
        (unplaced.length > 0 ? `; ${unplaced.join(" ")} on no known node, put on socket 0` : ""),
      channels:
        counts.length === 1
          ? "host: channels per engine"
          : `host: the fewest channels of an engine (${counts.join(", ")} found)`,
    });
  }
  const channels = engines.reduce((n, e) => n + e.channels.length, 0);
  return {
    value: { devices, cpu: b.dma.cpu },
    entries,
    summary: `dma: the host's ${engines.length} engines (${channels} channels); their rates and driver costs are ${b.name}'s.`,
  };
}

function header(
  f: HostFacts,
  baseName: string,
  dmaSummary: string,
  remarks: readonly string[],
): string {
  const table = distanceTable(f.nodes, "   ");
  const distances =
    table === null
      ? [" Host node distances: unknown"]
      : [" Host node distances (the schema has none: the model costs links by socket):", ...table];
  return [
    ` Draft machine profile written by \`pagemig probe\` (kernel ${f.kernelRelease ?? "unknown"}, ${f.cpuModel ?? "unknown CPU"}).`,
    ` Topology is the host's, read from sysfs; every value marked "not measured" is ${baseName}'s,`,
    " with that profile's source note. The probe measures no bandwidth or cost: calibrate those against",
    " your own runs (docs/probe.md) before trusting predictions.",
    "",
    " Mapping the host onto the schema:",
    " - nodes: the online nodes with memory, renumbered 0..N-1 in host order. A node with CPUs",
    "   is dram on its package's socket; a CPU-less one is cxl on the socket of the nearest CPU",
    "   node by distance. Memoryless CPU nodes are left out. Memory is MemTotal rounded down to",
    "   whole 4 MiB blocks, the unit of the model's buddy allocator, scaled down in proportion",
    "   where the host has more than the model addresses.",
    " - a host with one memory node is drafted as two halves on one socket (as numa=fake=2",
    "   would make it), since migration needs a second node.",
    " - sockets: the packages of the CPU nodes; a package without a memory node has its cores",
    "   folded into the socket nearest it. ccdsPerSocket: the most L3 groups in a socket,",
    "   rounded up to a multiple of each socket's dram nodes (the schema splits CCDs evenly);",
    "   coresPerCcd: the most cores sharing an L3 (or a socket's cores over its CCDs).",
    ` - ${dmaSummary}`,
    "",
    ...(remarks.length === 0
      ? []
      : [" Where this host departs:", ...remarks.map((r) => ` - ${r}`), ""]),
    ...distances,
  ].join("\n");
}
