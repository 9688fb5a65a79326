/**
 * node:sqlite is stable enough for us (Node ≥ 22.13 ships it without a flag) but still prints an
 * ExperimentalWarning on load, which would sit in every run's output: that one warning is dropped while
 * the module loads, every other warning is left alone. The ledger's writer thread loads it the same way, from this
 * function's source text: plain JavaScript once its types are stripped, using nothing but its argument.
 */
export function requireSqlite(load: (id: "node:sqlite") => unknown): typeof import("node:sqlite") {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === "ExperimentalWarning" && text.includes("SQLite")) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load("node:sqlite") as typeof import("node:sqlite");
  } finally {
    process.emitWarning = emit;
  }
}
