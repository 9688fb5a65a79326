import { expect } from "chai";
import { audioLocator } from "../../pipeline/audit/check-audio.js";
import { loadPipelineConfig } from "../../pipeline/config/pipeline-config.js";
import { ConfigError } from "../../pipeline/errors.js";
import type { TrackMetadata } from "../../pipeline/metadata/track-metadata.js";
import type { ObjectKind } from "../../pipeline/providers/types.js";
import { embeddedCopies } from "../../pipeline/run/local-disk.js";
import {
  addressedBy,
  assertRoutable,
  blocksMint,
  isOnThisMachine,
  type RoutingPolicy,
  requiredRoles,
  rolesStoring,
  route,
  type StorageRole,
} from "../../pipeline/storage/routing.js";

/** The defaults: DCMX_REQUIRE=ipfs, INCLUDE_IPFS_BACKUP on, S3 keys set, a local chain. */
const DEFAULTS: RoutingPolicy = { require: ["ipfs"], includeIpfsBackup: true, embeddedS3: false };
const policy = (overrides: Partial<RoutingPolicy> = {}): RoutingPolicy => ({ ...DEFAULTS, ...overrides });
const mint = (kind: ObjectKind, role: StorageRole, p: RoutingPolicy) => route(kind, role, p).beforeMint;
const requireFrom = (value: string) => loadPipelineConfig({ DCMX_REQUIRE: value }).require;

describe("the storage routing table", () => {
  it("sends audio and previews to the primary, and to the IPFS node and remote backends as backups", () => {
    for (const kind of ["audio", "preview"] as const) {
      expect(rolesStoring(kind, DEFAULTS), kind).to.deep.equal(["primary", "local-ipfs", "remote"]);
      expect(route(kind, "primary", DEFAULTS)).to.include({ stores: true, backup: false });
      expect(route(kind, "local-ipfs", DEFAULTS)).to.include({ stores: true, backup: true });
      expect(route(kind, "remote", DEFAULTS)).to.include({ stores: true, backup: true });
    }
  });

  it("sends artwork to IPFS and to a configured bucket, metadata to IPFS only", () => {
    expect(rolesStoring("artwork", DEFAULTS)).to.deep.equal(["primary", "local-ipfs", "remote"]);
    expect(rolesStoring("metadata", DEFAULTS)).to.deep.equal(["local-ipfs", "remote"]);
    // With the IPFS backup off, artwork and metadata still go to IPFS: the token points there.
    expect(rolesStoring("artwork", policy({ includeIpfsBackup: false }))).to.deep.equal([
      "primary",
      "local-ipfs",
      "remote",
    ]);
  });

  it("with the IPFS backup off, the audio and previews go to the primary alone", () => {
    const off = policy({ includeIpfsBackup: false, require: ["storj"] });
    expect(rolesStoring("audio", off)).to.deep.equal(["primary"]);
    expect(rolesStoring("preview", off)).to.deep.equal(["primary"]);
    expect(route("audio", "local-ipfs", off)).to.include({ stores: false, localDisk: false });
  });

  it("keeps artwork off the embedded s3rver, whose copies are on this machine", () => {
    const embedded = policy({ embeddedS3: true });
    expect(rolesStoring("artwork", embedded)).to.deep.equal(["local-ipfs", "remote"]);
    expect(route("audio", "primary", embedded)).to.include({
      stores: true,
      localDisk: true,
      countsTowardCost: true,
    });
    expect(route("audio", "primary", DEFAULTS)).to.include({ localDisk: false, countsTowardCost: true });
    expect(isOnThisMachine("primary", true)).to.equal(true);
    expect(isOnThisMachine("primary", false)).to.equal(false);
    expect(isOnThisMachine("local-ipfs", false)).to.equal(true);
    // Artwork the embedded primary does not receive is not needed there before a mint either.
    expect(mint("artwork", "primary", embedded)).to.equal("none");
    expect(mint("artwork", "primary", DEFAULTS)).to.equal("every");
  });

  it("counts the primary and the embedded node toward cost, never the remote backends (no usage to ask)", () => {
    for (const kind of ["audio", "preview", "artwork", "metadata"] as const) {
      expect(route(kind, "remote", DEFAULTS).countsTowardCost, kind).to.equal(false);
      expect(route(kind, "local-ipfs", DEFAULTS).countsTowardCost, kind).to.equal(true);
      expect(route(kind, "remote", DEFAULTS).localDisk, kind).to.equal(false);
    }
    expect(route("metadata", "primary", DEFAULTS).countsTowardCost).to.equal(false);
  });

  it("requires the audio where DCMX_REQUIRE says, artwork and metadata where they are served, backups never", () => {
    expect(mint("audio", "local-ipfs", DEFAULTS)).to.equal("every");
    expect(mint("audio", "primary", DEFAULTS)).to.equal("none");
    expect(mint("preview", "local-ipfs", DEFAULTS)).to.equal("every");
    expect(mint("metadata", "local-ipfs", DEFAULTS)).to.equal("every");
    expect(mint("metadata", "primary", DEFAULTS)).to.equal("none");
    const storj = policy({ require: ["storj"] });
    expect(mint("audio", "primary", storj)).to.equal("every");
    expect(mint("audio", "local-ipfs", storj)).to.equal("none");
    expect(mint("artwork", "local-ipfs", storj)).to.equal("every");
    for (const kind of ["audio", "preview", "artwork", "metadata"] as const) {
      expect(mint(kind, "remote", storj), kind).to.equal("none");
      expect(blocksMint(kind, "remote", storj), kind).to.equal(false);
    }
  });

  it("on a public network, asks one remote backend for every kind a token points at", () => {
    const exposed = policy({ publicNetwork: "sepolia" });
    for (const kind of ["audio", "preview", "artwork", "metadata"] as const) {
      expect(mint(kind, "remote", exposed), kind).to.equal("one");
      // One backend down does not hold the track back by itself: another may hold it.
      expect(blocksMint(kind, "remote", exposed), kind).to.equal(false);
    }
    // Even with the backup off (the track then waits, saying why: process-track's message).
    expect(mint("audio", "remote", policy({ publicNetwork: "sepolia", includeIpfsBackup: false }))).to.equal(
      "one",
    );
  });

  it("reads DCMX_REQUIRE's documented values and the role names alike", () => {
    expect(requireFrom("storj,ipfs")).to.deep.equal(["storj", "ipfs"]);
    expect(requiredRoles(requireFrom("storj,ipfs"))).to.deep.equal(["primary", "local-ipfs"]);
    expect(requiredRoles(requireFrom("primary, local-ipfs"))).to.deep.equal(["primary", "local-ipfs"]);
    expect(requiredRoles(requireFrom("storj,primary"))).to.deep.equal(["primary"]);
    expect(requiredRoles(loadPipelineConfig({}).require)).to.deep.equal(["local-ipfs"]);
    expect(mint("audio", "primary", policy({ require: ["primary"] }))).to.equal("every");
    expect(mint("audio", "local-ipfs", policy({ require: ["local-ipfs"] }))).to.equal("every");
    expect(() => requireFrom("kubo"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.matches(/DCMX_REQUIRE.*storj, ipfs, primary, local-ipfs; got "kubo"/);
  });

  it("refuses DCMX_REQUIRE=ipfs with the IPFS backup off, naming both variables", () => {
    for (const require of [["ipfs"], ["local-ipfs"], ["storj", "ipfs"]] as const) {
      expect(
        () => assertRoutable(policy({ require: [...require], includeIpfsBackup: false })),
        require.join(),
      )
        .to.throw(ConfigError)
        .with.property("message")
        .that.matches(
          /INCLUDE_IPFS_BACKUP.*DCMX_REQUIRE names .*local-ipfs role.*INCLUDE_IPFS_BACKUP is off/s,
        );
    }
    expect(() => assertRoutable(policy({ require: ["storj"], includeIpfsBackup: false }))).not.to.throw();
    expect(() => assertRoutable(DEFAULTS)).not.to.throw();
    expect(() => assertRoutable(policy({ embeddedS3: true, require: ["storj", "ipfs"] }))).not.to.throw();
  });

  it("finds objects by key on the primary and by CID on IPFS, embedded or remote (the audit's locator too)", () => {
    expect(addressedBy("primary")).to.equal("key");
    expect(addressedBy("local-ipfs")).to.equal("cid");
    expect(addressedBy("remote")).to.equal("cid");
    // Only the fields the locator reads: the master's CID, the Storj key's extension and the format.
    const cid = "bafkreidg3bhb6vsbwz2ivm35hzxyjmzoqcd7jvwfdf7kejqp5f5p6hmmwe";
    const metadata = {
      properties: { cid, audio: { format: "flac" }, storage: { storj: { key: "audio/x.flac" } } },
    } as unknown as TrackMetadata;
    const hash = "ab".repeat(32);
    expect(audioLocator("remote", metadata, hash)).to.equal(cid);
    expect(audioLocator("local-ipfs", metadata, hash)).to.equal(cid);
    expect(audioLocator("primary", metadata, hash)).to.match(/^audio\/.*\.flac$/);
  });

  it("adds up the embedded copies per folder: audio twice without S3 keys, once with them", () => {
    const bytes = { audio: 1000, preview: 100, artwork: 10, metadata: 1 };
    const embedded = { localS3: "/w/s3", ipfsRepo: "/w/ipfs" };
    expect(embeddedCopies(embedded, bytes, true)).to.deep.equal([
      { directory: "/w/s3", bytes: 1100 },
      { directory: "/w/ipfs", bytes: 1111 },
    ]);
    expect(embeddedCopies(embedded, bytes, false)).to.deep.equal([
      { directory: "/w/s3", bytes: 1100 },
      { directory: "/w/ipfs", bytes: 11 },
    ]);
    expect(embeddedCopies({ ipfsRepo: "/w/ipfs" }, { audio: 1000 }, true)).to.deep.equal([
      { directory: "/w/ipfs", bytes: 1000 },
    ]);
  });
});
