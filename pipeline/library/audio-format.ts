import { extname } from "node:path";
import { fileTypeFromBuffer, fileTypeFromTokenizer } from "file-type";
import { z } from "zod";
import { InputError } from "../errors.js";
import type { FilePath } from "../util/file-name.js";
import { withFileTokenizer } from "../util/file-tokenizer.js";

export const AudioFormatSchema = z.enum(["mp3", "flac", "ogg", "opus", "wav", "aiff", "m4a", "aac"]);
export type AudioFormat = z.infer<typeof AudioFormatSchema>;

interface FormatInfo {
  format: AudioFormat;
  /** The MIME type marketplaces and gateways expect (OpenSea plays audio/mpeg, audio/wav, audio/ogg). */
  mimeType: string;
  /** Canonical extension with the dot, used in content-addressed object keys. */
  extension: string;
}

// Keyed by what file-type reports from the bytes; anything not listed is not audio we mint.
const BY_DETECTED_EXT: Record<string, FormatInfo> = {
  mp3: { format: "mp3", mimeType: "audio/mpeg", extension: ".mp3" },
  flac: { format: "flac", mimeType: "audio/flac", extension: ".flac" },
  ogg: { format: "ogg", mimeType: "audio/ogg", extension: ".ogg" },
  oga: { format: "ogg", mimeType: "audio/ogg", extension: ".ogg" },
  opus: { format: "opus", mimeType: "audio/ogg", extension: ".opus" },
  wav: { format: "wav", mimeType: "audio/wav", extension: ".wav" },
  aif: { format: "aiff", mimeType: "audio/aiff", extension: ".aiff" },
  m4a: { format: "m4a", mimeType: "audio/mp4", extension: ".m4a" },
  // Many encoders label M4A audio with the generic ISO brand; the tag reader rejects it if it has video.
  mp4: { format: "m4a", mimeType: "audio/mp4", extension: ".m4a" },
  aac: { format: "aac", mimeType: "audio/aac", extension: ".aac" },
};

/** What OpenSea's player plays (its docs: MP3, WAV, OGG/OGA); other audio shows as a dead player. */
export const MARKETPLACE_PLAYABLE: ReadonlySet<AudioFormat> = new Set(["mp3", "wav", "ogg"]);

/** Extensions that claim to be audio: such a file that is not audio is an error, not a stray file. */
const AUDIO_EXTENSIONS = new Set([
  ".mp3",
  ".flac",
  ".ogg",
  ".oga",
  ".opus",
  ".wav",
  ".wave",
  ".aif",
  ".aiff",
  ".m4a",
  ".aac",
  ".mp4",
]);

export type Detected =
  | ({ kind: "audio"; shortBy?: number } & FormatInfo)
  | { kind: "image"; mimeType: string }
  | { kind: "other"; detected?: string };

/**
 * Decides what a file is from its first bytes, never from its name; for audio that declares its length,
 * how many bytes short of it the file is (`shortBy`).
 */
export async function detectFile(path: FilePath): Promise<Detected> {
  // An unreadable file fails on open, with its errno.
  return withFileTokenizer(path, {}, async (tokenizer) => {
    // The header is read first: file-type closes the file once it has decided.
    const head = Buffer.alloc(8);
    const headBytes = await tokenizer.peekBuffer(head, { mayBeLess: true });
    const found = detected(await fileTypeFromTokenizer(tokenizer));
    if (found.kind !== "audio") return found;
    const shortBy = declaredShortfall(head.subarray(0, headBytes), found.format, tokenizer.fileInfo.size);
    return { ...found, shortBy };
  });
}

function detected(type: Awaited<ReturnType<typeof fileTypeFromBuffer>>): Detected {
  if (type === undefined) return { kind: "other" };
  const audio = BY_DETECTED_EXT[type.ext];
  if (audio !== undefined) return { kind: "audio", ...audio };
  if (type.mime.startsWith("image/")) return { kind: "image", mimeType: type.mime };
  return { kind: "other", detected: type.mime };
}

/** Decides what bytes are from their head (4100 bytes are enough), as `detectFile` does for a file. */
export async function detectBytes(head: Uint8Array): Promise<Detected> {
  return detected(await fileTypeFromBuffer(head));
}

export function claimsToBeAudio(path: string): boolean {
  return AUDIO_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Why a file named like audio is not: empty, or bytes of something else. */
export function notAudioError(file: string, detected: string | undefined, size: number): InputError {
  const what = size === 0 ? "the file is empty" : `its bytes are ${detected ?? "not a known audio format"}`;
  return new InputError("NOT_AUDIO", `named like audio but ${what}`, {
    file,
    field: "content",
    hint: "replace it with the real audio file, or remove it from the library",
  });
}

/**
 * RIFF (WAV) and FORM (AIFF) files declare their own length in bytes 4-8; a file shorter than it says
 * was cut off (an interrupted copy or download).
 */
function declaredShortfall(head: Buffer, format: AudioFormat, size: number): number {
  if (format !== "wav" && format !== "aiff") return 0;
  if (head.byteLength < 8) return 8 - head.byteLength;
  const declared = format === "wav" ? head.readUInt32LE(4) : head.readUInt32BE(4);
  // Streaming encoders write 0xFFFFFFFF when they could not seek back: "length unknown", not a claim.
  if (declared === 0xffffffff) return 0;
  return Math.max(0, declared + 8 - size);
}
