import { readdir, readFile } from "node:fs/promises";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const PIPELINE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "pipeline");
const MAX_LINES = 300;
/** A file over the limit says why in its opening comment, so a reader sees the reason before the code. */
const REASON = /^\s*(?:\/\/|\/?\*+)\s*Longer than 300 lines because \S/;

type Sources = Map<string, string>;

/** Every .ts file under pipeline/, keyed by its "/"-separated path relative to pipeline/. */
async function pipelineSources(): Promise<Sources> {
  const sources: Sources = new Map();
  for (const entry of await readdir(PIPELINE, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const path = join(entry.parentPath, entry.name);
    sources.set(relative(PIPELINE, path).split("\\").join("/"), await readFile(path, "utf8"));
  }
  return sources;
}

/** Relative specifiers of static imports, re-exports, side-effect and dynamic imports (types included). */
function importsOf(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.\.?\/[^"']+)["']/gm;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

interface Edge {
  from: string;
  to: string;
  /** One import that makes the edge, for the failure message. */
  example: string;
}

/**
 * The graph between folders under pipeline/: an edge when a file of one folder imports a file of another.
 * Files at the root of pipeline/ (errors.ts, the public index, the manager facade) are in no folder and
 * left out; targets outside pipeline/ are too.
 */
function folderEdges(sources: Sources): Map<string, Map<string, Edge>> {
  const edges = new Map<string, Map<string, Edge>>();
  for (const [file, source] of sources) {
    const from = posix.dirname(file);
    if (from === ".") continue;
    for (const specifier of importsOf(source)) {
      const target = posix.normalize(posix.join(from, specifier));
      const to = posix.dirname(target);
      if (to === from || to === "." || target.startsWith("../")) continue;
      const out = edges.get(from) ?? new Map<string, Edge>();
      edges.set(from, out);
      if (!out.has(to)) out.set(to, { from, to, example: `${file} imports ${specifier}` });
    }
  }
  return edges;
}

/** The first cycle found by a depth-first walk, as its edges in order, or undefined when there is none. */
function findCycle(edges: Map<string, Map<string, Edge>>): Edge[] | undefined {
  const done = new Set<string>();
  const onPath: Edge[] = [];
  const visiting = new Set<string>();
  const visit = (folder: string): Edge[] | undefined => {
    visiting.add(folder);
    for (const edge of [...(edges.get(folder)?.values() ?? [])].sort((a, b) => a.to.localeCompare(b.to))) {
      if (done.has(edge.to)) continue;
      onPath.push(edge);
      if (visiting.has(edge.to)) return onPath.slice(onPath.findIndex((e) => e.from === edge.to));
      const cycle = visit(edge.to);
      if (cycle !== undefined) return cycle;
      onPath.pop();
    }
    visiting.delete(folder);
    done.add(folder);
    return undefined;
  };
  for (const folder of [...edges.keys()].sort()) {
    if (done.has(folder)) continue;
    const cycle = visit(folder);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

function describeCycle(cycle: Edge[]): string {
  const path = [...cycle.map((edge) => edge.from), cycle[0]!.from].join(" → ");
  return `import cycle between folders: ${path}\n${cycle.map((edge) => `  ${edge.example}`).join("\n")}`;
}

/** Files over the limit whose opening comment does not say why. */
function unexplainedLongFiles(sources: Sources): string[] {
  const long: string[] = [];
  for (const [file, source] of sources) {
    const lines = source.replace(/\n$/, "").split("\n");
    if (lines.length <= MAX_LINES) continue;
    const opening = [];
    for (const line of lines) {
      if (!/^\s*(?:\/\/|\/\*|\*)/.test(line)) break;
      opening.push(line);
    }
    if (!opening.some((line) => REASON.test(line))) long.push(`${file} (${lines.length} lines)`);
  }
  return long.sort();
}

describe("architecture of pipeline/", () => {
  let sources: Sources;
  before(async () => {
    sources = await pipelineSources();
  });

  it("has no import cycle between folders", () => {
    const edges = folderEdges(sources);
    // The walk must have seen the real tree, or finding no cycle would prove nothing.
    expect(edges.get("run")?.has("stages"), "run/ imports stages/").to.equal(true);
    const cycle = findCycle(edges);
    expect(cycle === undefined ? "" : describeCycle(cycle)).to.equal("");
  });

  it("has no file over 300 lines unless its opening comment says why", () => {
    expect(unexplainedLongFiles(sources)).to.deep.equal([]);
  });

  describe("the checks themselves", () => {
    it("find a cycle through three folders and name each import that makes it", () => {
      const planted: Sources = new Map([
        ["a/one.ts", 'import { two } from "../b/two.js";'],
        ["b/two.ts", 'export { three } from "../c/three.js";'],
        ["c/three.ts", 'const one = await import("../a/one.js");'],
        ["c/leaf.ts", 'import type { X } from "../errors.js";\nimport "../d/side.js";'],
        ["d/side.ts", 'import { z } from "zod";'],
      ]);
      const cycle = findCycle(folderEdges(planted));
      expect(cycle && describeCycle(cycle)).to.equal(
        [
          "import cycle between folders: a → b → c → a",
          "  a/one.ts imports ../b/two.js",
          "  b/two.ts imports ../c/three.js",
          "  c/three.ts imports ../a/one.js",
        ].join("\n"),
      );
      planted.delete("c/three.ts");
      expect(findCycle(folderEdges(planted))).to.equal(undefined);
    });

    it("count lines and accept only a reason written in the opening comment", () => {
      const body = "const x = 1;\n".repeat(MAX_LINES);
      const files: Sources = new Map([
        ["short.ts", "const x = 1;\n".repeat(MAX_LINES - 1)],
        ["long.ts", `// A module.\n${body}`],
        ["reason-too-late.ts", `${body}// Longer than 300 lines because of a table.\n`],
        ["explained.ts", `// Longer than 300 lines because it is one table of every variable.\n${body}`],
        [
          "explained-doc.ts",
          `/**\n * Parses the env.\n * Longer than 300 lines because it is one table.\n */\n${body}`,
        ],
      ]);
      expect(unexplainedLongFiles(files)).to.deep.equal([
        "long.ts (301 lines)",
        "reason-too-late.ts (301 lines)",
      ]);
    });
  });
});
