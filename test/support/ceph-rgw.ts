/**
 * A throw-away single-node Ceph cluster (1 mon, 1 memstore OSD, RGW) on 127.0.0.1, for S3 tests
 * against a production server with real SigV4 checks. Written from ../shared/reference/ceph-rgw-single-node.sh.
 * Daemons run in the foreground as our children, so they are stopped by PID; ports are picked free so
 * two runs on one machine do not collide. Needs the Debian packages radosgw ceph-mon ceph-osd ceph-common.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CephRgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Kills the gateway at once (as a crash would); the cluster behind it keeps its data. */
  killGateway(): Promise<void>;
  /** Starts the gateway again on the same port and waits until it answers. */
  startGateway(): Promise<void>;
  /** Stops every daemon by PID and deletes the cluster. */
  stop(): Promise<void>;
}

const ACCESS_KEY = "DCMXTESTACCESSKEY";
const SECRET_KEY = "dcmx-test-secret-key-0000000000";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  gone: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (gone()) throw new Error(`Ceph test cluster: ${what} exited while starting (see its log)`);
    await sleep(200);
  }
  throw new Error(`Ceph test cluster: ${what} not ready after ${timeoutMs / 1000} s`);
}

function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon_host = [v1:127.0.0.1:${monPort}]
public_addr = 127.0.0.1
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_objectstore = memstore
memstore_device_bytes = 1073741824
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
mon_data = ${dir}/mon.$id
osd_data = ${dir}/osd.$id
log_file = ${dir}/log/$name.log
admin_socket = ${dir}/run/$name.asok
run_dir = ${dir}/run
keyring = ${dir}/keyring
osd_class_update_on_start = false
osd_crush_update_on_start = false
# A killed gateway's watches on the control objects stay until this timeout, and the next bucket the
# restarted gateway creates waits on them to answer its notify (measured 23 s at the default 30 s).
osd_client_watch_timeout = 5
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw_data = ${dir}/rgw
rgw_dns_name = localhost
`;
}

async function stopDaemon(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startCephRgw(): Promise<CephRgw> {
  const dir = await mkdtemp(join(tmpdir(), "dcmx-ceph-"));
  for (const sub of ["mon.a", "osd.0", "log", "run", "rgw"]) await mkdir(join(dir, sub), { recursive: true });
  const fsid = randomUUID();
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, "ceph.conf");
  await writeFile(conf, cephConf(dir, fsid, monPort, rgwPort));
  const ceph = (...args: string[]) => run("ceph", ["-c", conf, "--connect-timeout", "5", ...args]);
  const daemons: ChildProcess[] = [];
  const daemon = (command: string, args: string[]) => {
    const child = spawn(command, [...args, "-f", "-c", conf], { stdio: "ignore" });
    daemons.push(child);
    return child;
  };
  // Never leave daemons behind, even when the test process exits without calling stop().
  const killAll = () => {
    for (const child of daemons) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  // `gatewayUp` flips synchronously, so a start right after a kill waits for the old process to be gone
  // (and its port free) and concurrent starts share one process.
  let gateway: ChildProcess | undefined;
  let gatewayUp = false;
  let gatewayReady: Promise<void> = Promise.resolve();
  let gatewayStopped: Promise<void> = Promise.resolve();
  const startGateway = () => {
    if (gatewayUp) return gatewayReady;
    gatewayUp = true;
    gatewayReady = gatewayStopped.then(() => {
      const child = daemon("radosgw", ["-n", "client.rgw"]);
      gateway = child;
      return waitFor(
        "RGW",
        // Any HTTP answer means the gateway is serving.
        async () => (await fetch(endpoint, { signal: AbortSignal.timeout(2_000) })).status > 0,
        60_000,
        () => child.exitCode !== null || child.signalCode !== null,
      );
    });
    return gatewayReady;
  };
  const killGateway = () => {
    gatewayUp = false;
    if (gateway !== undefined) gatewayStopped = stopDaemon(gateway, 0);
    return gatewayStopped;
  };
  try {
    await run("monmaptool", [
      "--create",
      "--addv",
      "a",
      `[v1:127.0.0.1:${monPort}]`,
      "--fsid",
      fsid,
      join(dir, "monmap"),
    ]);
    await run("ceph-mon", ["--mkfs", "-i", "a", "--monmap", join(dir, "monmap"), "-c", conf]);
    daemon("ceph-mon", ["-i", "a"]);
    await waitFor(
      "monitor",
      async () => {
        await ceph("-s");
        return true;
      },
      30_000,
    );
    const uuid = randomUUID();
    const osd = (await ceph("osd", "new", uuid)).stdout.trim();
    await run("ceph-osd", ["-i", osd, "--mkfs", "--osd-uuid", uuid, "-c", conf]);
    await ceph("osd", "crush", "add", `osd.${osd}`, "1.0", "root=default", "host=localhost");
    daemon("ceph-osd", ["-i", osd]);
    await waitFor("OSD", async () => (await ceph("osd", "stat")).stdout.includes("1 up"), 60_000);
    await startGateway();
    await run("radosgw-admin", [
      "-c",
      conf,
      "user",
      "create",
      "--uid=dcmx",
      "--display-name=dcmx",
      `--access-key=${ACCESS_KEY}`,
      `--secret-key=${SECRET_KEY}`,
    ]);
  } catch (error) {
    killAll();
    throw error;
  }
  return {
    endpoint,
    region: "us-east-1",
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    killGateway,
    startGateway,
    stop: async () => {
      process.removeListener("exit", killAll);
      // memstore data is thrown away anyway, and the OSD is slow on SIGTERM: a short grace is enough.
      for (const child of daemons.reverse()) await stopDaemon(child, 2_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
