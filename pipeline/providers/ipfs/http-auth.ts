import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../util/secrets.js";

/**
 * The Authorization header for a `user:password` (HTTP Basic) or `Bearer <token>` variable. Every form
 * of the secret — the value, the password or token, the encoded header — is registered before it is
 * returned, so none can reach a log through an error that quotes the request.
 */
export function authorizationHeader(variable: string, value: string): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer !== null) {
    registerSecret(bearer[1]);
    return `Bearer ${bearer[1]}`;
  }
  const colon = value.indexOf(":");
  if (colon <= 0) {
    throw new ConfigError("CONFIG", "expected user:password or Bearer <token>", {
      file: "environment",
      field: variable,
      hint: "write the Basic credentials as user:password, or a JWT as Bearer <token>",
    });
  }
  const encoded = Buffer.from(value).toString("base64");
  registerSecret(value);
  registerSecret(value.slice(colon + 1));
  registerSecret(encoded);
  return `Basic ${encoded}`;
}

/**
 * Credentials inside a URL are refused: Node's fetch throws on them, and a URL is printed in messages
 * where a separate secret variable is not.
 */
export function refuseUrlCredentials(variable: string, url: string | undefined, authVariable: string): void {
  if (url === undefined) return;
  const parsed = new URL(url);
  if (parsed.username === "" && parsed.password === "") return;
  registerSecret(parsed.password || undefined);
  throw new ConfigError("CONFIG", "credentials in the URL are not accepted", {
    file: "environment",
    field: variable,
    hint: `remove user:password@ from ${variable} and set ${authVariable}=user:password (or Bearer <token>) instead`,
  });
}
