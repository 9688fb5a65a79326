import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import type { RunEvent } from "../../pipeline/report/events.js";
import { runInProcess } from "../support/fault-run.js";
import { generateLibrary } from "../support/library-generator.js";

const TRACKS = 3;

/** The events of one type, typed as such. */
function ofType<T extends RunEvent["type"]>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }>[] {
  return events.filter((event): event is Extract<RunEvent, { type: T }> => event.type === type);
}

/**
 * What a run tells its listeners, from a small library on the embedded defaults and Hardhat's in-process
 * chain: counted from typed events, never from the printed lines.
 */
describe("a run's events", function () {
  this.timeout(120_000);
  let dir: string;
  let connection: NetworkConnection;
  let env: Record<string, string>;
  let files: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "dcmx-events-"));
    connection = await network.create();
    files = await generateLibrary(dir, TRACKS);
    const library = join(dir, "library");
    await writeFile(join(library, "bad.mp3"), "");
    await copyFile(join(library, files[0]!), join(library, "zz copy.mp3"));
    env = { DCMX_LIBRARY: library, DCMX_WORKDIR: join(dir, "work") };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("tells each audio file's end once, with the stage, code and token as fields", async () => {
    // The scan's settled check reads a content's state and hands it to the track's step: one read per file.
    const reads = new Map<string, number>();
    const { report, events } = await runInProcess(connection, env, {
      ledger: (ledger) => {
        const track = ledger.track.bind(ledger);
        ledger.track = (sha256) => {
          reads.set(sha256, (reads.get(sha256) ?? 0) + 1);
          return track(sha256);
        };
      },
    });

    const ends = events.filter((e) => ["done", "minted", "failed", "pending", "skipped"].includes(e.type));
    expect(ofType(events, "started")).to.deep.equal([{ type: "started", total: 5 }]);
    expect(
      events.indexOf(ofType(events, "started")[0]!),
      "the count comes before any file's end",
    ).to.be.below(events.indexOf(ends[0]!));
    expect(ends.map((e) => (e as { file: string }).file).sort()).to.deep.equal(
      [...files, "bad.mp3", "zz copy.mp3"].sort(),
    );

    expect(ofType(events, "failed")).to.deep.equal([
      {
        type: "failed",
        file: "bad.mp3",
        stage: "scan",
        error:
          "bad.mp3: content: named like audio but the file is empty — replace it with the real audio file, or remove it from the library",
        code: "NOT_AUDIO",
        field: "content",
      },
    ]);
    const [skipped] = ofType(events, "skipped");
    expect(skipped).to.include({ file: "zz copy.mp3", code: "DUPLICATE" });
    expect(skipped!.reason).to.include(`same bytes as ${files[0]}`);

    expect(ofType(events, "scanned").map((e) => e.file)).to.have.members(files);
    expect(ofType(events, "ready").map((e) => e.file)).to.have.members(files);
    const minted = ofType(events, "minted");
    expect(
      minted.map(({ file, tokenId, alreadyOnChain }) => ({ file, tokenId, alreadyOnChain })),
    ).to.have.deep.members(
      report.tracks
        .filter((t) => t.status === "minted")
        .map((t) => ({ file: t.file, tokenId: t.tokenId, alreadyOnChain: false })),
    );
    expect(minted).to.have.length(TRACKS);

    // Every copy the report lists was announced as it was stored.
    const stored = ofType(events, "stored");
    for (const track of report.tracks.filter((t) => t.status === "minted")) {
      const kinds = stored.filter((e) => e.file === track.file).map((e) => `${e.kind} on ${e.provider}`);
      const audio = kinds.filter((k) => k.startsWith("audio on "));
      expect(audio, track.file).to.have.length(track.ipfsProviders.length + (track.storj ? 1 : 0));
      for (const provider of track.ipfsProviders)
        expect(audio, track.file).to.include(`audio on ${provider}`);
      expect(
        kinds.some((k) => k.startsWith("metadata on ")),
        track.file,
      ).to.equal(true);
    }
    const sent = ofType(events, "bytes-sent").reduce((sum, e) => sum + e.bytes, 0);
    expect(sent, "bytes sent").to.be.at.least(report.tracks.reduce((sum, t) => sum + t.size, 0));

    expect(ofType(events, "notice").some((e) => e.message.startsWith("Deployed the collection at"))).to.equal(
      true,
    );
    expect(events.at(-1)).to.deep.equal({ type: "finished" });
    // zz copy.mp3 is read as a file too (then found a duplicate of the first track).
    const tracks = report.tracks.filter((t) => t.status === "minted");
    expect(Object.fromEntries(reads), "ledger reads per content").to.deep.equal(
      Object.fromEntries(tracks.map((t) => [t.sha256, t.file === files[0] ? 2 : 1])),
    );
  });

  it("a re-run tells every track as already minted, uploading nothing", async () => {
    const { events } = await runInProcess(connection, env);
    expect(
      ofType(events, "done")
        .filter((e) => e.outcome === "already minted")
        .map((e) => e.file),
    ).to.have.members(files);
    expect(ofType(events, "minted")).to.deep.equal([]);
    expect(ofType(events, "bytes-sent")).to.deep.equal([]);
  });
});
