import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { gatewayUrl } from "../../pipeline/providers/ipfs/gateway-url.js";
import { gatewayOrigin } from "../../pipeline/providers/ipfs/pinning-service.js";
import { redact } from "../../pipeline/util/secrets.js";

describe("IPFS configuration", () => {
  it("runs on the embedded node alone when nothing is set", () => {
    const config = loadIpfsConfig({}, "/work/.dcmx");
    expect(config).to.deep.equal({
      repo: "/work/.dcmx/ipfs",
      gatewayPort: 8180,
      gatewayUrl: undefined,
      readBackWindowMs: 60_000,
    });
  });

  it("enables Pinata from its JWT and dedicated gateway, with Pinata's hosts by default, the JWT a secret", () => {
    const env = { PINATA_JWT: "pinata-jwt-secret", PINATA_GATEWAY_URL: "https://dcmx.mypinata.cloud" };
    const config = loadIpfsConfig({ ...env, IPFS_READBACK_WINDOW_SECONDS: "5" }, "/w");
    expect(config.pinata).to.deep.equal({
      jwt: "pinata-jwt-secret",
      uploadUrl: "https://uploads.pinata.cloud",
      apiUrl: "https://api.pinata.cloud",
      gateway: "https://dcmx.mypinata.cloud",
      spoolDir: "/w/spool/pinata",
    });
    expect(config.readBackWindowMs).to.equal(5_000);
    expect(redact("token pinata-jwt-secret")).to.equal("token [redacted]");
    expect(() => loadIpfsConfig({ ...env, PINATA_UPLOAD_URL: "uploads.pinata.cloud" }, "/w")).to.throw(
      ConfigError,
      "PINATA_UPLOAD_URL",
    );
  });

  it("refuses Pinata without its dedicated gateway rather than reading back through the rate-limited public one", () => {
    expect(() => loadIpfsConfig({ PINATA_JWT: "pinata-jwt-secret" }, "/w"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.contains("PINATA_GATEWAY_URL")
      .and.contains("mypinata.cloud")
      .and.contains("15 requests a minute")
      .and.not.contains("pinata-jwt-secret");
  });

  it("enables each backend from its variables and registers the secrets", () => {
    const config = loadIpfsConfig(
      {
        NFT_STORAGE_TOKEN: "nft-secret-token",
        KUBO_RPC_URL: "http://127.0.0.1:5001",
        PINNING_SERVICE_ENDPOINT: "https://api.pinata.cloud/psa",
        PINNING_SERVICE_TOKEN: "pinning-secret-token",
      },
      "/w",
    );
    expect(config.nftStorage?.endpoint).to.equal("https://api.nft.storage");
    expect(config.kubo?.url).to.equal("http://127.0.0.1:5001");
    expect(config.pinning).to.include({ endpoint: "https://api.pinata.cloud/psa", timeoutMs: 600_000 });
    expect(redact("nft-secret-token and pinning-secret-token")).to.equal("[redacted] and [redacted]");
  });

  it("reads Storacha content back from storacha.link unless STORACHA_GATEWAY_URL names another gateway", () => {
    const keys = { W3UP_KEY: "MgCb-test-agent-key", W3UP_PROOF: "mAYIEAP-test-proof" };
    expect(loadIpfsConfig(keys, "/w").storacha?.gateway).to.equal("https://storacha.link");
    const own = loadIpfsConfig({ ...keys, STORACHA_GATEWAY_URL: "https://w3s.link" }, "/w");
    expect(own.storacha?.gateway).to.equal("https://w3s.link");
    expect(() => loadIpfsConfig({ ...keys, STORACHA_GATEWAY_URL: "w3s.link" }, "/w")).to.throw(
      ConfigError,
      "STORACHA_GATEWAY_URL",
    );
  });

  it("explains that a Web3.Storage token alone no longer works", () => {
    const error = (() => {
      try {
        return loadIpfsConfig({ WEB3_STORAGE_TOKEN: "old-token-value" }, "/w");
      } catch (e) {
        return e;
      }
    })();
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message)
      .to.contain("WEB3_STORAGE_TOKEN")
      .and.contain("W3UP_KEY");
  });

  it("names the missing half of a pair and rejects malformed URLs", () => {
    expect(() => loadIpfsConfig({ PINNING_SERVICE_TOKEN: "abcdefgh" }, "/w")).to.throw(
      ConfigError,
      "PINNING_SERVICE_ENDPOINT",
    );
    expect(() => loadIpfsConfig({ KUBO_RPC_URL: "localhost:5001" }, "/w")).to.throw(
      ConfigError,
      "KUBO_RPC_URL",
    );
  });
});

describe("Filebase configuration", () => {
  const keys = { FILEBASE_ACCESS_KEY: "FB-ACCESS-KEY-ID", FILEBASE_SECRET_KEY: "fb-secret-key-value" };

  it("defaults to the IPFS tier's S3 endpoint and the public gateway, and registers both keys", () => {
    const config = loadIpfsConfig({ ...keys, FILEBASE_BUCKET: "music" }, "/w");
    expect(config.filebase).to.deep.equal({
      accessKey: "FB-ACCESS-KEY-ID",
      secretKey: "fb-secret-key-value",
      bucket: "music",
      endpoint: "https://s3.filebase.com",
      gateway: "https://ipfs.filebase.io",
    });
    expect(redact("FB-ACCESS-KEY-ID fb-secret-key-value")).to.equal("[redacted] [redacted]");
    expect(loadIpfsConfig({}, "/w").filebase).to.equal(undefined);
  });

  it("names the missing key or bucket", () => {
    expect(() => loadIpfsConfig({ FILEBASE_ACCESS_KEY: "FB-ACCESS-KEY-ID" }, "/w")).to.throw(
      ConfigError,
      "FILEBASE_SECRET_KEY",
    );
    expect(() => loadIpfsConfig(keys, "/w")).to.throw(ConfigError, "FILEBASE_BUCKET");
    expect(() =>
      loadIpfsConfig({ ...keys, FILEBASE_BUCKET: "m", FILEBASE_ENDPOINT: "s3.filebase.com" }, "/w"),
    ).to.throw(ConfigError, "FILEBASE_ENDPOINT");
  });
});

describe("gateway URLs", () => {
  it("rewrites ipfs:// and bare CIDs to a path gateway", () => {
    expect(gatewayUrl("ipfs://bafyabc/meta.json", "https://w3s.link/")).to.equal(
      "https://w3s.link/ipfs/bafyabc/meta.json",
    );
    expect(gatewayUrl("bafyabc", "http://127.0.0.1:8180")).to.equal("http://127.0.0.1:8180/ipfs/bafyabc");
    expect(() => gatewayUrl("ipfs://", "http://g")).to.throw("has no CID");
  });

  it("turns a gateway URL into the multiaddr origin pinning services understand", () => {
    expect(gatewayOrigin("http://127.0.0.1:8180")).to.equal("/ip4/127.0.0.1/tcp/8180/http");
    expect(gatewayOrigin("https://gw.example.org")).to.equal("/dns/gw.example.org/tcp/443/https");
  });
});
