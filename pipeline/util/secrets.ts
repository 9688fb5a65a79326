/**
 * One registry of secret values (keys, tokens, private keys) read from configuration. Every sink that
 * writes text a person or a file will see — errors, logs, reports, journals — passes it through
 * `redact`, so a secret cannot leak even when a dependency puts it into an error message.
 */
const secrets = new Set<string>();

/** Shorter values are not registered: redacting them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;

export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  return out;
}
