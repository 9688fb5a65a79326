import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { expect } from "chai";
import fc from "fast-check";
import { InputError, IntegrityError } from "../../pipeline/errors.js";
import { ContentGuard } from "../../pipeline/providers/s3/content-guard.js";
import { EtagHasher } from "../../pipeline/providers/s3/etag.js";
import { objectKey } from "../../pipeline/providers/s3/keys.js";
import {
  decodeMetadata,
  encodeMetadata,
  metadataSize,
  USER_METADATA_LIMIT_BYTES,
} from "../../pipeline/providers/s3/metadata.js";

const SHA = "a".repeat(64);

describe("S3 object keys", () => {
  it("derive from the content hash and kind only", () => {
    expect(objectKey("audio", SHA, ".MP3")).to.equal(`audio/${SHA}.mp3`);
    expect(objectKey("artwork", SHA, ".jpg")).to.equal(`art/${SHA}.jpg`);
    expect(objectKey("metadata", SHA, ".json")).to.equal(`metadata/${SHA}.json`);
    expect(objectKey("audio", SHA, "")).to.equal(`audio/${SHA}`);
  });

  it("refuse anything that could escape the prefix", () => {
    expect(() => objectKey("audio", "../x", ".mp3")).to.throw(InputError);
    expect(() => objectKey("audio", SHA.toUpperCase(), ".mp3")).to.throw(InputError);
    expect(() => objectKey("audio", SHA, "mp3")).to.throw(InputError, "extension");
    expect(() => objectKey("audio", SHA, "./../a")).to.throw(InputError);
  });
});

describe("S3 user metadata", () => {
  it("round-trips any string through header-safe ASCII", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (value) => {
        const encoded = encodeMetadata({}, { title: value });
        expect(encoded.title).to.match(/^[\x20-\x7e]*$/);
        expect(decodeMetadata(encoded)).to.deep.equal({ title: value });
      }),
    );
  });

  it("keeps plain ASCII readable and normalises keys", () => {
    expect(encodeMetadata({}, { Title: "Song 2", "Album Artist": "Blur" })).to.deep.equal({
      title: "Song 2",
      "album-artist": "Blur",
    });
  });
});

describe("S3 user metadata under Storj's 2 KiB limit", () => {
  const required = { kind: "audio", sha256: SHA, cid: `bafkrei${"a".repeat(52)}` };
  const graphemes = (value: string) => [...new Intl.Segmenter().segment(value)].map((s) => s.segment);
  /** The kept part is whole leading graphemes of the original, then "…". */
  function expectCutAtBoundary(kept: string, original: string) {
    expect(kept.endsWith("…"), kept).to.equal(true);
    const head = graphemes(kept.slice(0, -1));
    expect(head.length).to.be.greaterThan(0);
    expect(head).to.deep.equal(graphemes(original).slice(0, head.length));
  }

  it("leaves tags that fit untouched, with no truncated marker", () => {
    const meta = encodeMetadata(required, { title: "夜に駆ける", artist: "YOASOBI", album: "THE BOOK" });
    expect(decodeMetadata(meta)).to.deep.equal({
      ...required,
      title: "夜に駆ける",
      artist: "YOASOBI",
      album: "THE BOOK",
    });
  });

  it("shortens 600 Japanese characters at a character boundary, keeps the hashes and short tags whole", () => {
    const title = "東京の夜空に響く歌".repeat(67).slice(0, 600);
    const meta = encodeMetadata(required, { title, artist: "宇多田ヒカル 🎤", album: "初恋" });
    expect(metadataSize(meta)).to.be.at.most(USER_METADATA_LIMIT_BYTES);
    const decoded = decodeMetadata(meta);
    expect(decoded).to.deep.include({
      ...required,
      artist: "宇多田ヒカル 🎤",
      album: "初恋",
      truncated: "title",
    });
    expectCutAtBoundary(decoded.title!, title);
    expect(decoded.title!.length).to.be.greaterThan(100);
  });

  it("shares the room among long CJK and emoji tags, never splitting an emoji sequence", () => {
    const family = "👨‍👩‍👧‍👦";
    const tags = { title: "愛".repeat(700), artist: family.repeat(300), album: "🇯🇵🎶".repeat(400) };
    const meta = encodeMetadata(required, tags);
    expect(metadataSize(meta)).to.be.at.most(USER_METADATA_LIMIT_BYTES);
    const decoded = decodeMetadata(meta);
    expect(decoded.truncated!.split(",").sort()).to.deep.equal(["album", "artist", "title"]);
    for (const key of ["title", "artist", "album"] as const) expectCutAtBoundary(decoded[key]!, tags[key]);
    expect(decoded).to.deep.include(required);
  });

  it("stays within 2 KiB for any tags, always keeping the hashes", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("title", "artist", "album", "genre"),
          fc.string({ unit: "grapheme", maxLength: 900 }),
        ),
        (tags) => {
          const meta = encodeMetadata(required, tags);
          expect(metadataSize(meta)).to.be.at.most(USER_METADATA_LIMIT_BYTES);
          expect(decodeMetadata(meta)).to.deep.include(required);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("content guard", () => {
  const bytes = Buffer.from("the bytes we addressed, in three chunks");
  const address = { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  const chunks = (b: Buffer) => [b.subarray(0, 10), b.subarray(10, 20), b.subarray(20)];

  async function drain(source: Buffer): Promise<{ received: Buffer; error?: unknown }> {
    const received: Buffer[] = [];
    try {
      for await (const chunk of Readable.from(chunks(source)).pipe(
        new ContentGuard(address, "t.mp3", { partSize: 16, multipart: true }).through({
          length: address.size,
          last: true,
        }),
      )) {
        received.push(chunk as Buffer);
      }
      return { received: Buffer.concat(received) };
    } catch (error) {
      return { received: Buffer.concat(received), error };
    }
  }

  it("passes the addressed bytes through unchanged", async () => {
    const { received, error } = await drain(bytes);
    expect(error).to.equal(undefined);
    expect(received).to.deep.equal(bytes);
  });

  it("withholds the last chunk of changed bytes so no upload can complete", async () => {
    const changed = Buffer.from(bytes);
    changed[25] ^= 1;
    const { received, error } = await drain(changed);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message)
      .to.include("t.mp3")
      .and.include("SHA-256");
    expect(received.length).to.be.lessThan(bytes.length);
  });

  it("sends a part again from a mark: the same fingerprint as sending each part once", async () => {
    const sendParts = async (guard: ContentGuard, failFirstTry: boolean) => {
      for (const [index, part] of [
        bytes.subarray(0, 16),
        bytes.subarray(16, 32),
        bytes.subarray(32),
      ].entries()) {
        const last = index === 2;
        const before = guard.mark();
        if (failFirstTry) {
          // Half the part went out before the connection dropped.
          const attempt = guard.through({ length: part.length, last });
          await new Promise((resolve) => attempt.write(part.subarray(0, 5), resolve));
          attempt.destroy();
          guard.rewind(before);
        }
        const sent: Buffer[] = [];
        for await (const chunk of Readable.from([part]).pipe(guard.through({ length: part.length, last })))
          sent.push(chunk as Buffer);
        expect(Buffer.concat(sent)).to.deep.equal(part);
      }
      return guard.fingerprint();
    };
    const once = await sendParts(
      new ContentGuard(address, "t.mp3", { partSize: 16, multipart: true }),
      false,
    );
    const again = await sendParts(
      new ContentGuard(address, "t.mp3", { partSize: 16, multipart: true }),
      true,
    );
    expect(again).to.deep.equal(once);
    expect(once.etag).to.match(/-3"$/);
  });

  it("fails a part that ends before its length, so its request cannot wait for the missing bytes", async () => {
    const part = new ContentGuard(address, "t.mp3", { partSize: 16, multipart: true }).through({
      length: 16,
      last: false,
    });
    const error = await (async () => {
      for await (const _ of Readable.from([bytes.subarray(0, 10)]).pipe(part));
    })().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message).to.include("the file ended early");
  });

  it("stops a file that grew", async () => {
    const { error } = await drain(Buffer.concat([bytes, Buffer.from("more")]));
    expect(error).to.be.instanceOf(IntegrityError);
    expect((error as Error).message).to.include("size");
  });
});

describe("ETag rules", () => {
  const md5 = (b: Uint8Array) => createHash("md5").update(b).digest();
  const bytes = Buffer.from(Array.from({ length: 23 }, (_, i) => i));

  it("is the MD5 of the object for a single PUT", () => {
    const hasher = new EtagHasher(10, false);
    hasher.update(bytes);
    expect(hasher.etag()).to.equal(`"${md5(bytes).toString("hex")}"`);
  });

  it("is the MD5 of the part MD5s with the part count, however the stream was chunked", () => {
    const parts = [bytes.subarray(0, 10), bytes.subarray(10, 20), bytes.subarray(20)];
    const expected = `"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`;
    const hasher = new EtagHasher(10, true);
    for (const chunk of [bytes.subarray(0, 3), bytes.subarray(3, 17), bytes.subarray(17)])
      hasher.update(chunk);
    expect(hasher.etag()).to.equal(expected);
  });
});
