import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { AbortedError, ConfigError, InputError } from "../errors.js";
import { type FilePath, showPath } from "../util/file-name.js";
import { ffmpegArgs, type PreviewFormat } from "./formats.js";

/** Encodes a master file into a preview file, streaming: neither is ever held in memory. */
export interface PreviewEncoder {
  /** "ffmpeg 5.1.9 (/usr/bin/ffmpeg)": what the report and errors name. */
  readonly name: string;
  encode(input: FilePath, output: string, format: PreviewFormat, signal?: AbortSignal): Promise<void>;
}

/** How to get ffmpeg when neither the system binary nor DCMX_FFMPEG is found. */
export const FFMPEG_FIX =
  "install ffmpeg (apt-get install ffmpeg, brew install ffmpeg, or ffmpeg.org/download.html) or set DCMX_FFMPEG to its path";

const found = new Map<string, Promise<PreviewEncoder>>();

/**
 * The system ffmpeg (`binary`: DCMX_FFMPEG, else `ffmpeg` on the PATH), looked for when the first preview
 * is needed, so a library of MP3/WAV/OGG masters never needs it. Missing, it is a ConfigError naming the fix.
 */
export function systemFfmpeg(binary = "ffmpeg"): Promise<PreviewEncoder> {
  let encoder = found.get(binary);
  if (encoder === undefined) {
    encoder = probe(binary);
    found.set(binary, encoder);
    // A failed look-up is not remembered: the user may install ffmpeg while a long run goes on.
    encoder.catch(() => found.delete(binary));
  }
  return encoder;
}

async function probe(binary: string): Promise<PreviewEncoder> {
  const { code, output, error } = await run(binary, ["-hide_banner", "-version"]);
  if (error !== undefined || code !== 0) {
    const why =
      (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
        ? "not found"
        : `did not run (${error?.message ?? output.trim()})`;
    throw new ConfigError(
      "FFMPEG",
      `ffmpeg ("${binary}") ${why}; it encodes the playable previews of FLAC, AIFF and M4A masters`,
      {
        field: "DCMX_FFMPEG",
        hint: FFMPEG_FIX,
      },
    );
  }
  const version = /ffmpeg version (\S+)/.exec(output)?.[1] ?? "unknown version";
  return {
    name: `ffmpeg ${version} (${binary})`,
    encode: (input, output, format, signal) => encodeWith(binary, input, output, format, signal),
  };
}

/**
 * The master goes in as an inherited file descriptor (/dev/fd/3) rather than its name: a name is bytes that
 * may not be UTF-8, and ffmpeg reads "concat:…" or "http:…" in a name as a protocol.
 */
async function encodeWith(
  binary: string,
  input: FilePath,
  output: string,
  format: PreviewFormat,
  signal?: AbortSignal,
): Promise<void> {
  const master = await open(input, "r");
  try {
    const result = await run(binary, ffmpegArgs("/dev/fd/3", output, format), { fd: master.fd, signal });
    if (signal?.aborted) throw new AbortedError();
    if (result.error !== undefined) throw result.error;
    if (result.code !== 0) {
      const said = result.output.trim().split("\n").slice(-3).join(" | ");
      throw new InputError(
        "PREVIEW",
        `ffmpeg could not encode the preview: ${said || `exit code ${result.code}`}`,
        {
          file: typeof input === "string" ? input : showPath(input),
          hint: "check that the file plays in another player; re-export it from the source if it does not",
        },
      );
    }
  } finally {
    await master.close();
  }
}

/** Runs a command to its end, keeping only the last few kilobytes of what it printed. */
function run(
  command: string,
  args: string[],
  options: { fd?: number; signal?: AbortSignal } = {},
): Promise<{ code: number | null; output: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe", ...(options.fd === undefined ? [] : [options.fd])],
      signal: options.signal,
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4096);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("error", (error) => resolve({ code: null, output, error }));
    child.on("close", (code) => resolve({ code, output }));
  });
}
