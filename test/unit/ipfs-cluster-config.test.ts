import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadIpfsConfig } from "../../pipeline/providers/ipfs/config.js";
import { redact } from "../../pipeline/util/secrets.js";

const CLUSTER = {
  IPFS_CLUSTER_URL: "http://127.0.0.1:9094",
  IPFS_CLUSTER_GATEWAY_URL: "http://127.0.0.1:8080",
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadIpfsConfig(env, "/w");
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("IPFS Cluster configuration", () => {
  it("enables the backend from its REST API and a peer's gateway, with the cluster's defaults", () => {
    expect(loadIpfsConfig(CLUSTER, "/w").cluster).to.deep.equal({
      url: "http://127.0.0.1:9094",
      authorization: undefined,
      replication: undefined,
      gateway: "http://127.0.0.1:8080",
      pinTimeoutMs: 600_000,
    });
    expect(loadIpfsConfig({}, "/w").cluster).to.equal(undefined);
  });

  it("needs a gateway: the REST API cannot read content back", () => {
    const error = refusal({ IPFS_CLUSTER_URL: CLUSTER.IPFS_CLUSTER_URL });
    expect(error.field).to.equal("IPFS_CLUSTER_GATEWAY_URL");
    expect(error.message).to.include("read back");
  });

  it("reads min,max replication as the cluster validates it", () => {
    const replication = (value: string) =>
      loadIpfsConfig({ ...CLUSTER, IPFS_CLUSTER_REPLICATION: value }, "/w").cluster?.replication;
    expect(replication("2,3")).to.deep.equal({ min: 2, max: 3 });
    expect(replication(" 1 , 1 ")).to.deep.equal({ min: 1, max: 1 });
    expect(replication("-1,-1")).to.deep.equal({ min: -1, max: -1 });
    for (const bad of ["0,1", "3,2", "-1,2", "2,-1", "2", "a,b", "1.5,2", "1,2,3"]) {
      const error = refusal({ ...CLUSTER, IPFS_CLUSTER_REPLICATION: bad });
      expect(error.field, bad).to.equal("IPFS_CLUSTER_REPLICATION");
      expect(error.message).to.include(`"${bad}"`);
    }
  });

  it("turns IPFS_CLUSTER_AUTH into a Basic or Bearer header and registers every form of the secret", () => {
    const basic = loadIpfsConfig({ ...CLUSTER, IPFS_CLUSTER_AUTH: "admin:cluster-basic-pw-93" }, "/w");
    const encoded = Buffer.from("admin:cluster-basic-pw-93").toString("base64");
    expect(basic.cluster?.authorization).to.equal(`Basic ${encoded}`);
    expect(redact(`pw cluster-basic-pw-93 header ${encoded}`)).to.equal("pw [redacted] header [redacted]");

    const bearer = loadIpfsConfig(
      { ...CLUSTER, IPFS_CLUSTER_AUTH: "Bearer eyJ.cluster-jwt-value.sig" },
      "/w",
    );
    expect(bearer.cluster?.authorization).to.equal("Bearer eyJ.cluster-jwt-value.sig");
    expect(redact("eyJ.cluster-jwt-value.sig")).to.equal("[redacted]");

    expect(refusal({ ...CLUSTER, IPFS_CLUSTER_AUTH: "just-a-token" }).field).to.equal("IPFS_CLUSTER_AUTH");
  });

  it("refuses credentials inside IPFS_CLUSTER_URL, naming the variable and without the password", () => {
    const error = refusal({ ...CLUSTER, IPFS_CLUSTER_URL: "http://admin:url-secret-pw-55@127.0.0.1:9094" });
    expect(error.field).to.equal("IPFS_CLUSTER_URL");
    expect(error.message).to.include("IPFS_CLUSTER_AUTH");
    expect(error.message).not.to.include("url-secret-pw-55");
  });
});
