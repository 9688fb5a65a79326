import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { gatewayUrl } from "../../pipeline/providers/ipfs/gateway-url.js";
import { gatewayOrigin } from "../../pipeline/providers/ipfs/pinning-service.js";
import { redact } from "../../pipeline/util/secrets.js";

/** What `fn` throws (undefined if nothing), for assertions on the error's type and message together. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

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
    const error = thrown(() => loadIpfsConfig({ WEB3_STORAGE_TOKEN: "old-token-value" }, "/w"));
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message)
      .to.contain("WEB3_STORAGE_TOKEN")
      .and.contain("W3UP_KEY");
  });

  it("refuses credentials inside KUBO_RPC_URL, pointing to KUBO_RPC_AUTH, without echoing the password", () => {
    const error = thrown(() =>
      loadIpfsConfig({ KUBO_RPC_URL: "https://artist:url-secret-pw@kubo.example.org" }, "/w"),
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message)
      .to.contain("KUBO_RPC_URL")
      .and.contain("KUBO_RPC_AUTH")
      .and.not.contain("url-secret-pw");
  });

  it("sends KUBO_RPC_AUTH as Basic (user:password) or as it is (Bearer), and registers it as a secret", () => {
    const basic = loadIpfsConfig(
      { KUBO_RPC_URL: "http://127.0.0.1:5001", KUBO_RPC_AUTH: "artist:kubo-basic-pw" },
      "/w",
    );
    const header = `Basic ${Buffer.from("artist:kubo-basic-pw").toString("base64")}`;
    expect(basic.kubo?.authorization).to.equal(header);
    const bearer = loadIpfsConfig(
      { KUBO_RPC_URL: "https://rpc.filebase.io", KUBO_RPC_AUTH: "Bearer filebase-rpc-token" },
      "/w",
    );
    expect(bearer.kubo?.authorization).to.equal("Bearer filebase-rpc-token");
    expect(redact(`${header} kubo-basic-pw filebase-rpc-token`)).to.not.match(
      /kubo-basic-pw|filebase-rpc-token|Basic YX/,
    );
    expect(() =>
      loadIpfsConfig({ KUBO_RPC_URL: "http://127.0.0.1:5001", KUBO_RPC_AUTH: "just-a-token" }, "/w"),
    ).to.throw(ConfigError, "KUBO_RPC_AUTH");
  });

  it("enables Lighthouse from its API key, with the SDK's upload API and gateway by default", () => {
    const config = loadIpfsConfig({ LIGHTHOUSE_API_KEY: "lighthouse-key-123" }, "/w");
    expect(config.lighthouse).to.deep.equal({
      apiKey: "lighthouse-key-123",
      apiUrl: "https://upload.lighthouse.storage",
      gateway: "https://gateway.lighthouse.storage",
    });
    expect(redact("key lighthouse-key-123")).to.equal("key [redacted]");
    expect(() =>
      loadIpfsConfig({ LIGHTHOUSE_API_KEY: "lighthouse-key-123", LIGHTHOUSE_API_URL: "upload" }, "/w"),
    ).to.throw(ConfigError, "LIGHTHOUSE_API_URL");
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
