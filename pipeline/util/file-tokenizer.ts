import { type FileHandle, open } from "node:fs/promises";
import {
  AbstractTokenizer,
  EndOfStreamError,
  type IFileInfo,
  type IRandomAccessFileInfo,
  type IRandomAccessTokenizer,
  type IReadChunkOptions,
} from "strtok3";
import type { FilePath } from "./file-name.js";

/** What one read of the file brings in for the small reads that follow it (a header's fields, tag frames). */
const WINDOW_BYTES = 64 * 1024;

/**
 * A random-access reader of one file over one open handle, for the parsers that read headers and tags
 * (file-type, music-metadata). Their Blob readers open the file again for every range they read, and
 * strtok3's own file reader makes one read call per token: a small track's header is dozens of fields,
 * and those calls cost more than the rest of its scan. Here a read fetches up to 64 KiB at once and the
 * reads that fall inside it are answered from memory; a read larger than that goes straight to the file.
 */
export async function withFileTokenizer<T>(
  path: FilePath,
  fileInfo: IFileInfo,
  read: (tokenizer: IRandomAccessTokenizer) => Promise<T>,
): Promise<T> {
  const handle = await open(path, "r");
  let tokenizer: ReadAheadTokenizer;
  try {
    const { size } = await handle.stat();
    tokenizer = new ReadAheadTokenizer(handle, { ...fileInfo, size });
  } catch (error) {
    await handle.close();
    throw error;
  }
  try {
    return await read(tokenizer);
  } finally {
    await tokenizer.close();
  }
}

class ReadAheadTokenizer extends AbstractTokenizer implements IRandomAccessTokenizer {
  #window = { start: 0, bytes: new Uint8Array(0) };

  constructor(
    private readonly handle: FileHandle,
    readonly fileInfo: IRandomAccessFileInfo,
  ) {
    super();
  }

  supportsRandomAccess(): boolean {
    return true;
  }

  setPosition(position: number): void {
    this.validateLength(position, "position");
    this.position = position;
  }

  async readBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const normal = this.normalizeOptions(target, options);
    this.position = normal.position;
    const read = await this.#readAt(target, normal.position, normal.length, normal.mayBeLess);
    this.position += read;
    return read;
  }

  async peekBuffer(target: Uint8Array, options?: IReadChunkOptions): Promise<number> {
    const normal = this.normalizeOptions(target, options);
    return this.#readAt(target, normal.position, normal.length, normal.mayBeLess);
  }

  protected override async closeOnce(): Promise<void> {
    await this.handle.close();
    await super.closeOnce();
  }

  async #readAt(target: Uint8Array, position: number, length: number, mayBeLess = false): Promise<number> {
    let read: number;
    if (length > WINDOW_BYTES) read = await this.#fill(target, position, length);
    else {
      const { start, bytes } = this.#window;
      if (position < start || position + length > start + bytes.length) {
        // Never more than the file holds: a small track's window is the size of the track.
        const want = Math.max(length, Math.min(WINDOW_BYTES, this.fileInfo.size - position));
        const window = new Uint8Array(want);
        this.#window = {
          start: position,
          bytes: window.subarray(0, await this.#fill(window, position, want)),
        };
      }
      const from = position - this.#window.start;
      const available = this.#window.bytes.subarray(from, from + length);
      target.set(available);
      read = available.length;
    }
    // Only the end of the file stops a read short (the file may have shrunk since its size was read).
    if (!mayBeLess && read < length) throw new EndOfStreamError();
    return read;
  }

  /** Reads `length` bytes at `position`, fewer only at the end of the file. */
  async #fill(target: Uint8Array, position: number, length: number): Promise<number> {
    let read = 0;
    while (read < length) {
      const { bytesRead } = await this.handle.read(target, read, length - read, position + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read;
  }
}
