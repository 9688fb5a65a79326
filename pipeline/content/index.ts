export {
  type AddressOptions,
  type AddressResult,
  addressBytes,
  addressFile,
  addressStream,
} from "./address.js";
export { type CarEntry, type CarSource, type PackCarOptions, packCar } from "./car.js";
export { metadataCid, metadataDigest } from "./metadata-cid.js";
export { importerOptions, PROFILES, type ProfileSpec, parseCidProfile } from "./profiles.js";
export * from "./types.js";
export { type VerifyOptions, type VerifySource, verifyCar, verifyCid } from "./verify.js";
