/**
 * Builds workflows/static/workflows/vendor/ from node_modules (installed by `npm ci` from
 * package-lock.json): editor-libs.js (one minified IIFE defining the global
 * BubbleEditorLibs), editor-libs.css, and LICENSES.txt (the license of every package the
 * bundle is made from).
 *
 * The output is a function of the lock file and assets/ alone: no timestamps, packages in
 * name order, so building twice gives the same bytes (`make assets` twice, then compare
 * hashes). Run it through `make assets`; assets/README.md says more.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "workflows", "static", "workflows", "vendor");
const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt))?$/i;

/** The packages the bundle is built from: every package of the lock file that is not a
 * build tool (npm marks those `dev`), in name order, as {name, version, license}. */
function bundledPackages() {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== "" && !entry.dev)
    .map(([path, entry]) => ({
      name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      path,
      version: entry.version,
      license: entry.license,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The installed package's license text; fails when node_modules does not hold the version
 * the lock names (run `npm ci`) or the package ships no license file. */
function licenseText(pkg) {
  const dir = join(ROOT, pkg.path);
  const installed = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (installed.version !== pkg.version) {
    throw new Error(
      `${pkg.name}: node_modules has ${installed.version}, the lock ${pkg.version}; run npm ci`,
    );
  }
  const file = readdirSync(dir).sort().find((name) => LICENSE_FILE.test(name));
  if (!file) throw new Error(`${pkg.name}: no license file in ${pkg.path}`);
  return readFileSync(join(dir, file), "utf8").replace(/\r\n?/g, "\n").trim();
}

function licenses(packages) {
  const rule = "=".repeat(78);
  const parts = [
    "Licenses of the packages bundled in editor-libs.js and editor-libs.css, written by",
    "`make assets` from package-lock.json and each package's own license file.",
  ];
  for (const pkg of packages) {
    parts.push("", rule, `${pkg.name} ${pkg.version} (${pkg.license})`, rule, "", licenseText(pkg));
  }
  return parts.join("\n") + "\n";
}

/** The first line of both files: what they are made from, checked against the lock file
 * by tests/test_vendored_assets.py. */
function banner(packages) {
  const list = packages.map((p) => `${p.name}@${p.version}`).join(" ");
  const from = "built by `make assets` (assets/build.mjs) from";
  return `/*! BubbleEditorLibs, ${from}: ${list}. Licenses: LICENSES.txt */`;
}

async function main() {
  const packages = bundledPackages();
  mkdirSync(OUT, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { "editor-libs": join(ROOT, "assets", "entry-editor-libs.js") },
    outdir: OUT,
    bundle: true,
    format: "iife",
    globalName: "BubbleEditorLibs",
    minify: true,
    target: ["es2020"],
    charset: "utf8",
    legalComments: "eof",
    banner: { js: banner(packages), css: banner(packages) },
    metafile: true,
    logLevel: "warning",
  });
  // Every package that reached the bundle must be one the licenses cover.
  const covered = new Set(packages.map((p) => p.path));
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (match && !covered.has(match[1])) {
      throw new Error(`${input} is bundled but package-lock.json has no dependency ${match[1]}`);
    }
  }
  writeFileSync(join(OUT, "LICENSES.txt"), licenses(packages));
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    console.log(`${relative(ROOT, join(ROOT, file))}: ${output.bytes} bytes`);
  }
}

await main();
