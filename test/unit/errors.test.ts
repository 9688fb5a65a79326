import { expect } from "chai";
import { AuthError, describeError, InputError } from "../../pipeline/errors.js";
import { redact, registerSecret } from "../../pipeline/util/secrets.js";

describe("errors", () => {
  it("name the file and the field, then the hint", () => {
    const error = new InputError("TYPE", "expected a number", {
      file: "metadata.json",
      field: "song1.bpm",
      hint: 'write 120, not "fast"',
    });
    expect(error.message).to.equal('metadata.json: song1.bpm: expected a number — write 120, not "fast"');
    expect(error.name).to.equal("InputError");
    expect(error.retryable).to.equal(false);
  });

  it("never carry a registered secret", () => {
    registerSecret("sk_live_SECRET_123456");
    const error = new AuthError("key sk_live_SECRET_123456 was refused", { provider: "storj", status: 403 });
    expect(error.message).to.not.include("sk_live_SECRET_123456");
    expect(error.message).to.include("[redacted]");
    expect(redact("token=sk_live_SECRET_123456;")).to.equal("token=[redacted];");
  });

  it("are described with the cause a library's wrapper only points at", () => {
    const refused = new Error("connect ECONNREFUSED 127.0.0.1:5001");
    expect(describeError(new Error("fetch failed", { cause: refused }))).to.equal(
      "fetch failed (connect ECONNREFUSED 127.0.0.1:5001)",
    );
    expect(
      describeError(new Error("reading a: connect ECONNREFUSED 127.0.0.1:5001", { cause: refused })),
    ).to.equal("reading a: connect ECONNREFUSED 127.0.0.1:5001");
    expect(
      describeError(new InputError("TYPE", "expected a number", { file: "m.json", cause: refused })),
    ).to.equal("m.json: expected a number");
  });
});
