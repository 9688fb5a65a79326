import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { DEFAULT_MAX_HEAP_MB, heapCapDecision, withHeapCap } from "../../pipeline/config/heap-cap.js";
import { ConfigError } from "../../pipeline/errors.js";

const HEAP_CAP = new URL("../../pipeline/config/heap-cap.ts", import.meta.url).href;

describe("heap cap of the main job and dcmx upload", () => {
  const decide = (env: Record<string, string | undefined>, execArgv: string[] = [], canRestart = true) =>
    heapCapDecision({ env, execArgv, canRestart });

  it("restarts an uncapped process with the default cap, keeping the user's other node options", () => {
    expect(decide({})).to.deep.equal({
      kind: "restart",
      maxHeapMb: DEFAULT_MAX_HEAP_MB,
      nodeOptions: `--max-old-space-size=${DEFAULT_MAX_HEAP_MB}`,
    });
    expect(decide({ NODE_OPTIONS: " --enable-source-maps " })).to.deep.equal({
      kind: "restart",
      maxHeapMb: DEFAULT_MAX_HEAP_MB,
      nodeOptions: `--enable-source-maps --max-old-space-size=${DEFAULT_MAX_HEAP_MB}`,
    });
    expect(decide({ DCMX_MAX_HEAP_MB: "512" })).to.include({ kind: "restart", maxHeapMb: 512 });
  });

  it("leaves a cap node already has alone, whichever way it was given, over DCMX_MAX_HEAP_MB", () => {
    for (const nodeOptions of [
      "--max-old-space-size=1024",
      "--enable-source-maps --max_old_space_size=2048",
      "--max-old-space-size 900",
    ])
      expect(decide({ NODE_OPTIONS: nodeOptions, DCMX_MAX_HEAP_MB: "512" }), nodeOptions).to.deep.equal({
        kind: "as-is",
        reason: "flag",
      });
    expect(decide({}, ["--max-old-space-size=300"])).to.deep.equal({ kind: "as-is", reason: "flag" });
    // A look-alike flag is not a cap.
    expect(decide({ NODE_OPTIONS: "--max-semi-space-size=16" })).to.include({ kind: "restart" });
  });

  it("runs uncapped when DCMX_MAX_HEAP_MB=0 or the process cannot replace itself", () => {
    expect(decide({ DCMX_MAX_HEAP_MB: "0" })).to.deep.equal({ kind: "as-is", reason: "off" });
    expect(decide({}, [], false)).to.deep.equal({ kind: "as-is", reason: "unsupported" });
  });

  it("refuses a DCMX_MAX_HEAP_MB that is not a size the pipeline fits in, naming the variable", () => {
    for (const value of ["abc", "-1", "1.5"]) {
      expect(() => decide({ DCMX_MAX_HEAP_MB: value }), value)
        .to.throw(ConfigError, /DCMX_MAX_HEAP_MB: expected a whole number/)
        .with.property("field", "DCMX_MAX_HEAP_MB");
    }
    expect(() => decide({ DCMX_MAX_HEAP_MB: "64" })).to.throw(
      ConfigError,
      /DCMX_MAX_HEAP_MB: expected 0 \(no cap\) or at least 128 \(MB\)/,
    );
  });

  it("adds the cap to NODE_OPTIONS, so the processes a run starts inherit it", () => {
    expect(withHeapCap(undefined, 256)).to.equal("--max-old-space-size=256");
    expect(withHeapCap("--trace-warnings", 300)).to.equal("--trace-warnings --max-old-space-size=300");
  });

  describe("in a real process", () => {
    let script: string;
    before(async () => {
      const dir = await mkdtemp(join(tmpdir(), "dcmx-heap-cap-"));
      script = join(dir, "capped.ts");
      // What the entry points do: cap, then report what V8 was given and whether this is still the same process.
      await writeFile(
        script,
        `import { getHeapStatistics } from "node:v8";
import { capHeap } from ${JSON.stringify(HEAP_CAP)};
capHeap();
console.log(JSON.stringify({ pid: process.pid, limitMb: getHeapStatistics().heap_size_limit / 1048576, nodeOptions: process.env.NODE_OPTIONS ?? null, arenas: process.env.MALLOC_ARENA_MAX ?? null, argv: process.argv.slice(2) }));
`,
      );
    });

    async function run(env: Record<string, string | undefined>) {
      const {
        NODE_OPTIONS: _inherited,
        DCMX_MAX_HEAP_MB: _set,
        MALLOC_ARENA_MAX: _arenas,
        ...base
      } = process.env;
      const child = spawn(process.execPath, ["--import", "tsx", script, "an argument"], {
        env: { ...base, ...env },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk));
      const [code] = await once(child, "exit");
      expect(code).to.equal(0);
      const lines = output.trim().split("\n");
      expect(lines, "the script's body ran once, after the restart").to.have.length(1);
      return { childPid: child.pid, ...JSON.parse(lines[0]!) };
    }

    it("restarts itself with the cap and the arena limit in place (same pid, same arguments, a heap limit near the cap); a cap or limit of its own stays", async function () {
      this.timeout(30_000);
      const capped = await run({ DCMX_MAX_HEAP_MB: "200" });
      expect(capped.pid).to.equal(capped.childPid);
      expect(capped.argv).to.deep.equal(["an argument"]);
      expect(capped.nodeOptions).to.equal("--max-old-space-size=200");
      expect(capped.arenas, "glibc's arena limit, set for the restarted process").to.equal("2");
      // heap_size_limit is the old generation plus the young one (a few tens of MB).
      expect(capped.limitMb).to.be.within(200, 300);
      const own = await run({ NODE_OPTIONS: "--max-old-space-size=400", DCMX_MAX_HEAP_MB: "200" });
      expect(own.limitMb).to.be.within(400, 500);
      expect(own.arenas, "no restart, nothing set").to.equal(null);
      const arenas = await run({ DCMX_MAX_HEAP_MB: "200", MALLOC_ARENA_MAX: "4" });
      expect(arenas.arenas, "the user's own value").to.equal("4");
    });
  });
});
