/**
 * Renders a vega-lite spec to SVG text in Node, synchronously and deterministically.
 *
 * Reporters are synchronous, and vega's `view.toSVG()` returns a promise only because it
 * awaits data loading and image loading; our data is inline and our marks have no images, so
 * `view.run()` finishes the dataflow before it returns and the headless SVG renderer draws the
 * scene at once (render.test.ts checks the text equals `toSVG()`'s). Every chart is laid out
 * with autosize "fit" at a fixed total size, which is also the size of the SVG.
 *
 * Without node-canvas vega estimates text widths from character counts, so the layout does not
 * depend on the fonts of the machine.
 */

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** The part of vega's headless SVG renderer we use (not in vega's typings). */
interface SvgStringRenderer {
  initialize(el: null, width: number, height: number, origin: readonly number[]): this;
  background(color: unknown): this;
  render(scene: unknown): this;
  svg(): string;
}
type SvgStringRendererClass = new (loader: vega.Loader) => SvgStringRenderer;
const { SVGStringRenderer } = vega as unknown as { SVGStringRenderer: SvgStringRendererClass };

export interface ChartSize {
  /** Total width and height of the SVG, px: axes, legends and titles included. */
  width: number;
  height: number;
}

/** Chart specs without the parts render() sets (Omit over each member of the union). */
export type ChartSpec = TopLevelSpec extends infer S
  ? S extends unknown
    ? Omit<S, "width" | "height" | "autosize" | "$schema">
    : never
  : never;

const CONFIG = {
  font: "sans-serif",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal" },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", labelLimit: 320 },
} as const;

/** A chart before rendering: the words around it, its vega-lite spec and its size. */
export interface ChartPlan {
  /** Unique on the page; also the prefix of the SVG's element ids. */
  id: string;
  title: string;
  /** One or two sentences on what the chart shows and how to read it. */
  note: string;
  spec: ChartSpec;
  size: ChartSize;
}

/** A rendered chart. */
export interface Chart {
  id: string;
  title: string;
  note: string;
  svg: string;
}

/** The plan's spec compiled to vega, laid out to fit its size exactly. */
export function vegaSpec(plan: ChartPlan, logger?: vega.LoggerInterface): vega.Spec {
  const full = {
    ...plan.spec,
    width: plan.size.width,
    height: plan.size.height,
    autosize: { type: "fit", contains: "padding" },
    config: { ...CONFIG, ...plan.spec.config },
  } as TopLevelSpec;
  return compile(full, logger === undefined ? {} : { logger }).spec;
}

/**
 * The chart drawn as SVG. Its element ids are prefixed with the chart's id (vega numbers its
 * clip paths and gradients from process-wide counters), so the text is the same on every call
 * and several charts can be inlined in one HTML document. Throws on any warning or error of
 * vega-lite or vega: our specs and data are meant to be clean, and vega would otherwise draw a
 * broken chart.
 */
export function renderChart(plan: ChartPlan): Chart {
  const { id, title, note, size } = plan;
  const messages: string[] = [];
  const logger = vega.logger(vega.Warn, "warn", (_method, level, args) => {
    messages.push(`${level} ${args.map(String).join(" ")}`);
  });
  const spec = vegaSpec(plan, logger);
  const view = new vega.View(vega.parse(spec), { renderer: "none", logger });
  try {
    view.run();
    if (messages.length > 0) throw new Error(`chart ${id}: ${messages.join("; ")}`);
    const pad = view.padding();
    const [left, top] = typeof pad === "number" ? [pad, pad] : [pad.left ?? 0, pad.top ?? 0];
    const [ox, oy] = view.origin();
    // vega's typings call the scenegraph a Scene; the scene is its root.
    const { root } = view.scenegraph() as unknown as { root: unknown };
    const svg = new SVGStringRenderer(view.loader())
      .initialize(null, size.width, size.height, [left + ox, top + oy])
      .background(view.background())
      .render(root)
      .svg();
    return { id, title, note, svg: roundPaths(scopeIds(id, svg)) };
  } finally {
    view.finalize();
  }
}

/** Renames the SVG's ids (`id="clip3"`, `url(#clip3)`) to `<scope>-<n>` in order of first use. */
export function scopeIds(scope: string, svg: string): string {
  const names = new Map<string, string>();
  const rename = (old: string): string => {
    let name = names.get(old);
    if (name === undefined) {
      name = `${scope}-${names.size + 1}`;
      names.set(old, name);
    }
    return name;
  };
  return svg.replace(
    // In a tag or an attribute's value: drawn text escapes "<", attributes escape '"'.
    /(<[^>]*\sid="|="url\(#)([^")]+)/g,
    (_m, prefix: string, old: string) => `${prefix}${rename(old)}`,
  );
}

/**
 * Rounds the coordinates of the SVG's path data to hundredths of a pixel: vega writes them
 * with up to 17 digits, most of a binned timeline's bytes, and no screen shows the difference.
 */
export function roundPaths(svg: string): string {
  return svg.replace(/ d="([^"]*)"/g, (_m, d: string) => {
    const rounded = d.replace(/-?\d+\.\d{3,}(e-?\d+)?/g, (n) =>
      String(Math.round(Number(n) * 100) / 100),
    );
    return ` d="${rounded}"`;
  });
}
