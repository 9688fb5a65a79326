import { Readable } from "node:stream";
import { expect } from "chai";
import { PartBodies } from "../../pipeline/providers/s3/part-bodies.js";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz";

/** The alphabet in 3-byte pieces, counting how many pieces were pulled. */
function source(failAt?: number) {
  const pulled = { pieces: 0 };
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < ALPHABET.length; i += 3) {
        if (failAt !== undefined && i >= failAt) throw new Error("disk gone");
        pulled.pieces++;
        yield Buffer.from(ALPHABET.slice(i, i + 3));
      }
    })(),
    { objectMode: false, highWaterMark: 1 },
  );
  return { stream, pulled };
}

async function text(part: Readable): Promise<string> {
  let out = "";
  for await (const chunk of part) out += chunk.toString();
  return out;
}

describe("S3 multipart part bodies", () => {
  it("cuts a stream into consecutive parts of exact lengths, splitting pieces across boundaries", async () => {
    const { stream } = source();
    const bodies = new PartBodies(stream);
    const parts: string[] = [];
    for (let offset = 0; offset < ALPHABET.length; offset += 5)
      parts.push(await text(bodies.next(Math.min(5, ALPHABET.length - offset))));
    expect(parts).to.deep.equal(["abcde", "fghij", "klmno", "pqrst", "uvwxy", "z"]);
  });

  it("reads a part from the stream only while it is consumed", async () => {
    const { stream, pulled } = source();
    const bodies = new PartBodies(stream);
    const first = bodies.next(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nothing consumed the part yet: the stream gave at most what its own small buffer holds.
    expect(pulled.pieces).to.be.at.most(2);
    expect(await text(first)).to.equal("abcde");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled.pieces).to.be.at.most(4);
  });

  it("fails the part being read when the stream fails, without an unhandled error", async () => {
    const { stream } = source(9);
    const bodies = new PartBodies(stream);
    expect(await text(bodies.next(5))).to.equal("abcde");
    const error = await text(bodies.next(5)).catch((e: unknown) => e);
    expect((error as Error).message).to.equal("disk gone");
  });
});
