/**
 * A throwaway single-node PostgreSQL 15 for tests, written from ../shared/reference/postgres-single-node.sh:
 * initdb in a temp folder, TCP on 127.0.0.1 only at a free port, the unix socket inside that folder, password
 * (SCRAM) auth over TCP with a random password, durable defaults. PostgreSQL refuses to run as root, so as root
 * (CI) its programs run as `nobody`, which owns the folder. Needs the Debian package postgresql-15 (server
 * binaries only; no cluster or systemd); PGBIN points elsewhere.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./hardhat-node.js";

const run = promisify(execFile);
const PGBIN = process.env.PGBIN ?? "/usr/lib/postgresql/15/bin";

export interface Postgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>`, as DCMX_DATABASE_URL takes it. */
  url: string;
  /** The temp folder holding the cluster, its socket and logs; `stop` removes it. */
  dir: string;
  /** Fast shutdown (open connections are ended), then the folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

/** Who runs the server: ourselves, or `nobody` when we are root (initdb and postgres refuse root). */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const line = (await readFile("/etc/passwd", "utf8")).split("\n").find((l) => l.startsWith("nobody:"));
  if (line === undefined)
    throw new Error("test PostgreSQL: running as root needs the user nobody to run the server");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(options: { database?: string } = {}): Promise<Postgres> {
  if (!existsSync(join(PGBIN, "initdb")))
    throw new Error(
      `test PostgreSQL: no initdb in ${PGBIN}; apt-get install -y --no-install-recommends postgresql-15 (or set PGBIN)`,
    );
  const user = await serverUser();
  const dir = await mkdtemp(join(tmpdir(), "dcmx-pg-"));
  await chmod(dir, 0o755);
  const owned = async (path: string) => {
    if (user) await chown(path, user.uid, user.gid);
  };
  await owned(dir);
  // The folder as working directory: the caller's may be one `nobody` cannot enter (CI clones into a 0700 one).
  const asServer = (program: string, args: string[]) =>
    run(join(PGBIN, program), args, { cwd: dir, env: { PATH: process.env.PATH, LANG: "C" }, ...user });
  const data = join(dir, "data");
  const stop = async () => {
    if (existsSync(join(data, "postmaster.pid")))
      await asServer("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const password = randomBytes(18).toString("base64url");
    const pwfile = join(dir, "pwfile");
    await writeFile(pwfile, password, { mode: 0o600 });
    await owned(pwfile);
    await asServer("initdb", [
      ...[
        "-D",
        data,
        "-U",
        "postgres",
        `--pwfile=${pwfile}`,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
      ],
      ...["-E", "UTF8", "--no-locale", "--no-instructions", "--no-sync"],
    ]);
    await rm(pwfile);
    const socket = join(dir, "sock");
    await mkdir(socket);
    await owned(socket);
    const port = await freePort();
    // fsync=off: WAL and pages still reach the OS before a commit is acknowledged, so a killed client or
    // server loses nothing; only an OS crash could, and the cluster is thrown away after the test. An fsync
    // per commit cost 4.4 ms here (500 commits: 2,180 ms -> 212 ms).
    const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socket} -c max_connections=100 -c fsync=off`;
    await asServer("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "30",
      "-o",
      settings,
      "start",
    ]);
    const database = options.database ?? "dcmx";
    const admin = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
    });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    return { url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`, dir, stop };
  } catch (error) {
    const log = await readFile(join(dir, "server.log"), "utf8").catch(() => "");
    await stop();
    throw new Error(`test PostgreSQL did not start: ${(error as Error).message}\n${log}`);
  }
}
