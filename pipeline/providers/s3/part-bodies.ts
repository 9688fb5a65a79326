import { Readable } from "node:stream";

/**
 * Cuts one byte stream into consecutive request bodies of given lengths, each read from the stream only
 * while it is being sent, so a multipart upload holds no part in memory. Bodies must be taken in order,
 * each after the previous one was read to its end.
 */
export class PartBodies {
  readonly #pieces: AsyncIterator<Buffer>;
  /** What the previous body left of the piece it ended in. */
  #rest?: Buffer;

  constructor(stream: Readable) {
    this.#pieces = stream[Symbol.asyncIterator]();
  }

  next(length: number): Readable {
    const part = Readable.from(this.#take(length), { objectMode: false });
    // The SDK pipes a body without listening to its errors, so one left unhandled would end the process.
    // A part fails only when the stream does (its error reaches the uploader through the stream and
    // aborts the request), or after the upload already failed and closed the stream.
    part.on("error", () => {});
    return part;
  }

  async *#take(length: number): AsyncGenerator<Buffer> {
    let left = length;
    while (left > 0) {
      let piece = this.#rest;
      this.#rest = undefined;
      if (piece === undefined) {
        const read = await this.#pieces.next();
        // The content guard fails a short stream before this; the check keeps a body from ending early.
        if (read.done) throw new Error(`the stream ended ${left} bytes before the end of a part`);
        piece = read.value;
      }
      if (piece.length > left) {
        this.#rest = piece.subarray(left);
        piece = piece.subarray(0, left);
      }
      left -= piece.length;
      yield piece;
    }
  }
}
