import { expect } from "chai";
import { type RunEvent, RunEvents } from "../../pipeline/report/events.js";
import { LineProgress, transfer } from "../../pipeline/report/progress.js";
import { registerSecret } from "../../pipeline/util/secrets.js";

/** The lines a renderer subscribed to an emitter prints for these events. */
function rendered(events: RunEvent[]): string[] {
  const lines: string[] = [];
  const renderer = new LineProgress((line) => lines.push(line));
  const emitter = new RunEvents().on((event) => renderer.render(event));
  for (const event of events) emitter.emit(event);
  return lines;
}

describe("progress lines (the original design's format, rendered from events)", () => {
  it("counts every audio file once, whatever became of it, and names each file once", () => {
    const lines = rendered([
      { type: "notice", message: "Scanning /music ..." },
      { type: "started", total: 6 },
      {
        type: "failed",
        file: "bad.mp3",
        stage: "scan",
        error: "bad.mp3: content: named like audio but the file is empty",
        code: "EMPTY_FILE",
      },
      { type: "skipped", file: "copy.mp3", reason: "copy.mp3: same bytes as song1.mp3", code: "DUPLICATE" },
      { type: "scanned", file: "song1.mp3", bytes: 4_200_000 },
      { type: "bytes-sent", bytes: 4_200_000 },
      { type: "stored", file: "song1.mp3", kind: "audio", provider: "storj" },
      { type: "ready", file: "song1.mp3" },
      { type: "minted", file: "song1.mp3", bytes: 4_200_000, tokenId: "1", alreadyOnChain: false },
      { type: "failed", file: "song3.mp3", stage: "upload audio", error: "Network timeout" },
      { type: "pending", file: "song4.mp3", reason: "audio: storj: 503" },
      { type: "warning", provider: "kubo", message: "song4.mp3: audio not stored on kubo (remote): refused" },
      { type: "done", file: "song5.mp3", bytes: 1_000_000, outcome: "already minted" },
      { type: "finished" },
    ]);
    expect(lines).to.deep.equal([
      "Scanning /music ...",
      "  ✗ Failed: bad.mp3 - scan: content: named like audio but the file is empty",
      "  - Skipped: copy.mp3 - same bytes as song1.mp3 [2/6]",
      "  ✓ Minted: song1.mp3 (4.2 MB) [3/6]",
      "  ✗ Failed: song3.mp3 - upload audio: Network timeout",
      "  ✗ Failed: song4.mp3 - pending — audio: storj: 503",
      "  ! song4.mp3: audio not stored on kubo (remote): refused",
      "  ✓ Already minted: song5.mp3 (1.0 MB) [6/6]",
    ]);
  });

  it("prints the scan's problems that end no track with their severity's mark", () => {
    const problem = (severity: "warning" | "skipped", message: string): RunEvent => ({
      type: "problem",
      problem: { severity, code: "X", file: "a", message },
    });
    expect(
      rendered([problem("warning", "a.mp3: no title"), problem("skipped", "notes.txt: not audio")]),
    ).to.deep.equal(["  ! a.mp3: no title", "  ✗ notes.txt: not audio"]);
  });

  it("never prints a registered secret in a failure or a warning", () => {
    const secret = "sk_live_progress_test_7f3a9c";
    registerSecret(secret);
    const lines = rendered([
      { type: "started", total: 1 },
      { type: "failed", file: "a.mp3", stage: "upload audio", error: `403 for key ${secret}` },
      { type: "warning", message: `pinata: refused ${secret}` },
    ]);
    expect(lines).to.have.length(2);
    expect(lines.join("\n")).to.not.contain(secret);
  });

  it("shows the bytes sent so far and their average rate on the bar", () => {
    expect(transfer(0, 0)).to.deep.equal({ sent: "0 B", rate: "0 B/s" });
    expect(transfer(24_600_000, 2000)).to.deep.equal({ sent: "24.6 MB", rate: "12.3 MB/s" });
  });
});
