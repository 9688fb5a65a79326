import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadIpfsConfig, remoteBackends } from "../../pipeline/providers/ipfs/config.js";
import { gatewayUrl } from "../../pipeline/providers/ipfs/gateway-url.js";
import { redact } from "../../pipeline/util/secrets.js";

describe("IPFS configuration", () => {
  it("runs on the embedded node alone when nothing is set", () => {
    const config = loadIpfsConfig({}, "/work/.dcmx");
    expect(config).to.deep.equal({
      repo: "/work/.dcmx/ipfs",
      gatewayPort: 8180,
      gatewayUrl: undefined,
      unused: [],
    });
    expect(remoteBackends(config)).to.deep.equal([]);
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

describe("gateway URLs", () => {
  it("rewrites ipfs:// and bare CIDs to a path gateway", () => {
    expect(gatewayUrl("ipfs://bafyabc/meta.json", "https://w3s.link/")).to.equal(
      "https://w3s.link/ipfs/bafyabc/meta.json",
    );
    expect(gatewayUrl("bafyabc", "http://127.0.0.1:8180")).to.equal("http://127.0.0.1:8180/ipfs/bafyabc");
    expect(() => gatewayUrl("ipfs://", "http://g")).to.throw("has no CID");
  });
});
