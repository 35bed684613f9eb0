// `npm run build`'s last step: the CLI that tsc wrote to dist/ (dist/cli/main.js and every
// module it imports) becomes one ESM bundle at the same path, the lazily imported commands and
// reporters as chunks beside it, so that a command reads and compiles a few files rather than
// about eighty (issue 13; docs/architecture.md, "Build"). Packages in node_modules stay
// imports, but for commander, which every command loads: bundled, its seven CommonJS files
// cost no module loads and no CommonJS-to-ESM translation. The per-module files stay in dist/:
// the library entry, the tuner's workers and `npm run bench` load them, and so does the CLI
// whenever tsc has run since this step (tsc rewrites dist/cli/main.js as the plain module).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist", "cli");
const ENTRY = join(OUT, "main.js");
/**
 * The bundle is made here, beside OUT (so paths relative to OUT hold from it too), and moves
 * into OUT only once it has started: a failed build leaves the plain CLI working.
 */
const STAGE = join(ROOT, "dist", ".cli-bundle");
const CHUNK_PREFIX = "bundle-";
/** The bundle's first comment after the hashbang: an entry that has it is already bundled. */
const MARK = "// pagemig CLI bundle: scripts/bundle-cli.mjs";

if (readFileSync(ENTRY, "utf8").includes(MARK)) {
  // tsc rewrites the entry on every run, so dist/ has not changed since this bundle was made.
  process.exit(0);
}

/**
 * A module finds its files (builtin-profiles.json, the tuner's worker, the package root) from
 * its own import.meta.url; in the bundle that would name the bundle's file, so each module's
 * use is rewritten to the URL it has in dist/, relative to OUT, where every output file goes.
 */
const ownUrl = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const own = `./${relative(OUT, args.path).split("\\").join("/")}`;
      const url = `new URL(${JSON.stringify(own)}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", url), loader: "js" };
    });
  },
};

/** Every package but the ones bundled stays an import. */
const BUNDLED_PACKAGES = new Set(["commander"]);
const externalPackages = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const pkg = args.path.startsWith("@")
        ? args.path.split("/", 2).join("/")
        : args.path.split("/")[0];
      if (args.path.startsWith("node:") || BUNDLED_PACKAGES.has(pkg)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * A bundled CommonJS package's require() of a Node module needs a require function, which an
 * ES module does not have: each output file makes its own (named so as not to meet a module's).
 */
const REQUIRE =
  'import { createRequire as bundleCreateRequire } from "node:module"; const require = bundleCreateRequire(import.meta.url);';

// A devDependency: without it (node_modules installed before it was added), the plain CLI
// stays, which works the same, only slower to start; say so and what to run.
const esbuild = await import("esbuild").catch(() => {
  process.stderr.write(
    "bundle-cli: esbuild is not installed (run npm ci): the CLI stays unbundled, slower to start\n",
  );
  process.exit(0);
});

rmSync(STAGE, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [ENTRY],
  outdir: STAGE,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  // Without comments and indentation: 40% less text for V8 to scan at every start; names stay,
  // so stacks and error messages still name the functions.
  minifyWhitespace: true,
  banner: { js: `${MARK}\n${REQUIRE}` },
  plugins: [ownUrl, externalPackages],
  logLevel: "warning",
});

// `--help` links every command's chunks: a clash of names between modules fails here.
const help = execFileSync(process.execPath, [join(STAGE, "main.js"), "--help"], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
if (!help.startsWith("Usage: pagemig")) {
  process.stderr.write(`bundle-cli: the bundled CLI printed no usage for --help:\n${help}`);
  process.exit(1);
}

for (const f of readdirSync(OUT)) {
  if (f.startsWith(CHUNK_PREFIX)) rmSync(join(OUT, f));
}
for (const f of readdirSync(STAGE)) renameSync(join(STAGE, f), join(OUT, f));
rmSync(STAGE, { recursive: true });
