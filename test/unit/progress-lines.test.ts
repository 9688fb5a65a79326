import { expect } from "chai";
import { LineProgress, transfer } from "../../pipeline/report/progress.js";
import { registerSecret } from "../../pipeline/util/secrets.js";

describe("progress lines (the original design's format)", () => {
  it("counts every audio file once, whatever became of it, and names each file once", () => {
    const lines: string[] = [];
    const progress = new LineProgress((line) => lines.push(line));
    progress.start(4);
    progress.failed("bad.mp3", "bad.mp3: content: named like audio but the file is empty");
    progress.skipped("copy.mp3", "copy.mp3: same bytes as song1.mp3");
    progress.done("song1.mp3", 4_200_000, "minted");
    progress.failed("song3.mp3", "upload audio: Network timeout");
    expect(lines).to.deep.equal([
      "  ✗ Failed: bad.mp3 - content: named like audio but the file is empty",
      "  - Skipped: copy.mp3 - same bytes as song1.mp3 [2/4]",
      "  ✓ Minted: song1.mp3 (4.2 MB) [3/4]",
      "  ✗ Failed: song3.mp3 - upload audio: Network timeout",
    ]);
  });

  it("never prints a registered secret in a failure", () => {
    const secret = "sk_live_progress_test_7f3a9c";
    registerSecret(secret);
    const lines: string[] = [];
    const progress = new LineProgress((line) => lines.push(line));
    progress.start(1);
    progress.failed("a.mp3", `upload audio: 403 for key ${secret}`);
    expect(lines.join("\n")).to.not.contain(secret);
  });

  it("shows the bytes sent so far and their average rate on the bar", () => {
    expect(transfer(0, 0)).to.deep.equal({ sent: "0 B", rate: "0 B/s" });
    expect(transfer(24_600_000, 2000)).to.deep.equal({ sent: "24.6 MB", rate: "12.3 MB/s" });
  });
});
