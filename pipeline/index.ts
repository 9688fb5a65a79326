/**
 * DCMX Mint's programmatic API. The CLI (`dcmx`), the Hardhat task and scripts/mint-library.ts are thin
 * layers over these.
 */
export { loadPipelineConfig, type PipelineConfig } from "./config/pipeline-config.js";
export * from "./content/index.js";
export * from "./errors.js";
export {
  type CompleteTrack,
  DecentralizedStorageManager,
  type StorageStats,
  type UploadedObject,
} from "./manager.js";
export type { ScannedTrack } from "./metadata/scanned-track.js";
export { buildTrackMetadata, type TrackMetadata, TrackMetadataSchema } from "./metadata/track-metadata.js";
export type { ProviderStats, StorageProvider, StoredObject } from "./providers/types.js";
export { type RunEvent, RunEvents } from "./report/events.js";
export { type RunReport, RunReportSchema } from "./report/report.js";
export type { ChainSetup } from "./run/deployment.js";
export { type RunOptions, type RunResult, runPipeline } from "./run/run-pipeline.js";
export { collectScan, type ScanResult } from "./scan/collect-scan.js";
export { type ScanSummary, scanLibrary } from "./scan/scan-library.js";
export { scanTrack } from "./scan/scan-track.js";
export { StorageSet } from "./storage/storage-set.js";
export { type UploadMusicLibraryOptions, uploadMusicLibrary } from "./upload-music-library.js";
