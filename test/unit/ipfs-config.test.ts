import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadIpfsConfig, remoteBackends } from "../../pipeline/providers/ipfs/config.js";
import { gatewayUrl } from "../../pipeline/providers/ipfs/gateway-url.js";
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
      unused: [],
    });
    expect(remoteBackends(config)).to.deep.equal([]);
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
        NFT_STORAGE_ENDPOINT: "https://nft.example.org",
        KUBO_RPC_URL: "http://127.0.0.1:5001",
        PINNING_SERVICE_ENDPOINT: "https://api.pinata.cloud/psa",
        PINNING_SERVICE_TOKEN: "pinning-secret-token",
      },
      "/w",
    );
    expect(config.nftStorage?.endpoint).to.equal("https://nft.example.org");
    expect(config.kubo?.url).to.equal("http://127.0.0.1:5001");
    expect(config.pinning).to.include({ endpoint: "https://api.pinata.cloud/psa", timeoutMs: 600_000 });
    expect(remoteBackends(config)).to.deep.equal(["nftStorage", "kubo", "pinning"]);
    expect(redact("nft-secret-token and pinning-secret-token")).to.equal("[redacted] and [redacted]");
  });

  it("leaves out the closed public services, saying when they closed and where to move", () => {
    const keys = { W3UP_KEY: "MgCb-test-agent-key", W3UP_PROOF: "mAYIEAP-test-proof" };
    const config = loadIpfsConfig({ ...keys, NFT_STORAGE_TOKEN: "nft-only-token-3321" }, "/w");
    expect(config.storacha).to.equal(undefined);
    expect(config.nftStorage).to.equal(undefined);
    expect(remoteBackends(config)).to.deep.equal([]);
    const [storacha, nft] = config.unused;
    expect(storacha?.provider).to.equal("storacha");
    expect(storacha?.reason).to.include("2026-04-15").and.include("Filecoin Onchain Cloud");
    expect(nft?.provider).to.equal("nft-storage");
    expect(nft?.reason).to.include("2024-06-30").and.include("Kubo, Pinata, Filebase, Lighthouse");
    // The public hosts count as closed even when named explicitly.
    const named = loadIpfsConfig(
      {
        ...keys,
        STORACHA_SERVICE_URL: "https://up.storacha.network",
        STORACHA_GATEWAY_URL: "https://g.example",
      },
      "/w",
    );
    expect(named.storacha).to.equal(undefined);
  });

  it("uses a self-hosted Storacha or NFT.Storage deployment", () => {
    const config = loadIpfsConfig(
      {
        W3UP_KEY: "MgCb-test-agent-key",
        W3UP_PROOF: "mAYIEAP-test-proof",
        STORACHA_SERVICE_URL: "https://up.example.org",
        STORACHA_GATEWAY_URL: "https://gw.example.org",
        NFT_STORAGE_TOKEN: "nft-token",
        NFT_STORAGE_ENDPOINT: "https://nft.example.org",
      },
      "/w",
    );
    expect(config.storacha?.gateway).to.equal("https://gw.example.org");
    expect(config.nftStorage?.endpoint).to.equal("https://nft.example.org");
    expect(config.unused).to.deep.equal([]);
    expect(() =>
      loadIpfsConfig({ W3UP_KEY: "k", W3UP_PROOF: "p", STORACHA_GATEWAY_URL: "w3s.link" }, "/w"),
    ).to.throw(ConfigError, "STORACHA_GATEWAY_URL");
  });

  it("uses a pinning service only with an origin it can reach or a push backend next to it", () => {
    const psa = {
      PINNING_SERVICE_ENDPOINT: "https://api.pinata.cloud/psa",
      PINNING_SERVICE_TOKEN: "t0k3n-psa",
    };
    const alone = loadIpfsConfig(psa, "/w");
    expect(alone.pinning).to.equal(undefined);
    expect(alone.unused[0]?.reason).to.include("127.0.0.1").and.include("PINNING_SERVICE_ORIGINS");
    const origin = "/dns4/ipfs.example.org/tcp/4001/p2p/12D3KooWExample";
    expect(loadIpfsConfig({ ...psa, PINNING_SERVICE_ORIGINS: origin }, "/w").pinning?.origins).to.deep.equal([
      origin,
    ]);
    expect(
      loadIpfsConfig({ ...psa, KUBO_RPC_URL: "http://127.0.0.1:5001" }, "/w").pinning?.origins,
    ).to.deep.equal([]);
    for (const local of [
      "/ip4/127.0.0.1/tcp/8180/http",
      "/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWExample",
      "/ip6/::1/tcp/4001",
      "/dns4/localhost/tcp/4001",
      "127.0.0.1:4001",
    ]) {
      expect(() => loadIpfsConfig({ ...psa, PINNING_SERVICE_ORIGINS: local }, "/w"), local).to.throw(
        ConfigError,
        "PINNING_SERVICE_ORIGINS",
      );
    }
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
});
