import { expect } from "chai";
import { ConfigError } from "../../pipeline/errors.js";
import { loadStorjConfig, STORJ_DEFAULT_ENDPOINT } from "../../pipeline/providers/s3/config.js";
import { redact } from "../../pipeline/util/secrets.js";

const KEYS = { STORJ_ACCESS_KEY: "jwexampleaccesskey", STORJ_SECRET_KEY: "jkexamplesecretkey0123" };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadStorjConfig(env, ".env");
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("Storj S3 configuration", () => {
  it("is absent when no key is set, so the pipeline can fall back to its local S3", () => {
    expect(loadStorjConfig({})).to.equal(undefined);
    expect(
      loadStorjConfig({ STORJ_ACCESS_KEY: "", STORJ_SECRET_KEY: " ", STORJ_BUCKET: "dcmx-music" }),
    ).to.equal(undefined);
  });

  it("applies Storj's defaults", () => {
    expect(loadStorjConfig(KEYS)).to.deep.equal({
      name: "storj",
      endpoint: STORJ_DEFAULT_ENDPOINT,
      region: "us-east-1",
      bucket: "dcmx-music",
      accessKeyId: KEYS.STORJ_ACCESS_KEY,
      secretAccessKey: KEYS.STORJ_SECRET_KEY,
      partSizeBytes: 64 * 1024 * 1024,
      publicBaseUrl: undefined,
      urlExpiresSeconds: 3600,
      requestTimeoutMs: 120_000,
    });
  });

  it("reads every variable and trims a trailing slash from URLs", () => {
    const config = loadStorjConfig({
      ...KEYS,
      STORJ_BUCKET: "my.music-2",
      STORJ_ENDPOINT: "http://127.0.0.1:7480/",
      STORJ_REGION: "eu1",
      STORJ_PART_SIZE_MB: "8",
      STORJ_PUBLIC_URL: "https://link.storjshare.io/raw/jx/my.music-2/",
      STORJ_URL_EXPIRES_SECONDS: "60",
      STORJ_TIMEOUT_SECONDS: "30",
    });
    expect(config).to.include({
      bucket: "my.music-2",
      endpoint: "http://127.0.0.1:7480",
      region: "eu1",
      partSizeBytes: 8 * 1024 * 1024,
      publicBaseUrl: "https://link.storjshare.io/raw/jx/my.music-2",
      urlExpiresSeconds: 60,
      requestTimeoutMs: 30_000,
    });
  });

  it("names the variable that is wrong", () => {
    expect(configError({ ...KEYS, STORJ_BUCKET: "My_Bucket" }).field).to.equal("STORJ_BUCKET");
    expect(configError({ ...KEYS, STORJ_ENDPOINT: "gateway.storjshare.io" }).field).to.equal(
      "STORJ_ENDPOINT",
    );
    expect(configError({ ...KEYS, STORJ_PART_SIZE_MB: "4" }).message).to.include("5 to 5120");
    expect(configError({ ...KEYS, STORJ_URL_EXPIRES_SECONDS: "604801" }).field).to.equal(
      "STORJ_URL_EXPIRES_SECONDS",
    );
  });

  it("refuses half a key pair and never prints the key it has", () => {
    const error = configError({ STORJ_SECRET_KEY: KEYS.STORJ_SECRET_KEY });
    expect(error.field).to.equal("STORJ_ACCESS_KEY");
    expect(error.message).to.not.include(KEYS.STORJ_SECRET_KEY);
    expect(redact(`signing with ${KEYS.STORJ_SECRET_KEY}`)).to.equal("signing with [redacted]");
  });
});
