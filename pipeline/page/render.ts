import type { TrackMetadata } from "../metadata/track-metadata.js";
import type { PageConfig } from "./page-config.js";
import type { PageTrack, Release } from "./release.js";

/** Text for HTML content and attribute values. */
const esc = (value: string | number) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside a <script> element: `<` escaped so no string in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

const duration = (seconds: number) => {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/** Who did what, as "name — role" lines: the artist first, then the credited collaborators. */
function credits(metadata: TrackMetadata): Array<{ name: string; role: string }> {
  const artists = metadata.properties.artists ?? [metadata.artist];
  return [
    ...artists.map((name) => ({ name, role: "artist" })),
    ...(metadata.credits ?? []).map(({ name, collaboratorType }) => ({ name, role: collaboratorType })),
  ];
}

function releaseCredits(release: Release): Array<{ name: string; roles: string[] }> {
  const byName = new Map<string, Set<string>>();
  for (const { metadata } of release.tracks) {
    for (const { name, role } of credits(metadata))
      byName.set(name, (byName.get(name) ?? new Set()).add(role));
  }
  return [...byName].map(([name, roles]) => ({ name, roles: [...roles] }));
}

function trackItem(
  track: PageTrack,
  index: number,
  config: PageConfig,
  art: (uri?: string) => string | undefined,
) {
  const { metadata } = track;
  const image = art(metadata.image);
  const details = [
    metadata.properties.audio.format.toUpperCase(),
    metadata.properties.audio.lossless ? "lossless" : undefined,
    metadata.genre,
    metadata.bpm === undefined ? undefined : `${metadata.bpm} BPM`,
    metadata.isrc && `ISRC ${metadata.isrc}`,
  ].filter((part) => part !== undefined);
  const people = credits(metadata)
    .map(({ name, role }) => `<span>${esc(name)} <em>${esc(role)}</em></span>`)
    .join("");
  return `<li class="track" data-token-id="${esc(track.tokenId)}">
  <div class="track-head">
    <span class="track-no">${esc(metadata.trackNumber ?? index + 1)}</span>
    ${image === undefined ? "" : `<img class="track-art" src="${esc(image)}" alt="" width="56" height="56" loading="lazy">`}
    <div class="track-title">
      <h3>${esc(metadata.title)}</h3>
      <p>${esc(metadata.artist)} · ${duration(metadata.properties.audio.durationSeconds)}</p>
    </div>
    <span class="token">#${esc(track.tokenId)}</span>
  </div>
  <audio controls preload="metadata" src="${esc(`${config.gateway}/ipfs/${metadata.animation_url.slice("ipfs://".length)}`)}" type="${esc(metadata.mimeType)}"></audio>
  <p class="track-meta">${details.map(esc).join(" · ")}</p>
  <p class="credits">${people}</p>
  <div class="verify-row">
    <button class="verify" type="button">Verify</button>
    <output class="verify-status">Not checked yet: Verify hashes the audio here and compares it with the chain.</output>
  </div>
</li>`;
}

/**
 * The page's HTML: everything a listener reads is in the markup (it shows without the script); the
 * script adds only the Verify controls. Links to the page's own files are relative, so the folder works
 * from any gateway path once pinned.
 */
export function renderPage(
  release: Release,
  config: PageConfig,
  art: (uri?: string) => string | undefined,
): string {
  const cover = art(release.cover);
  const first = release.tracks[0]!.metadata;
  const year = first.project?.releaseDate ?? first.properties.date;
  const label = first.project?.recordLabel;
  const people = releaseCredits(release)
    .map(({ name, roles }) => `<li><strong>${esc(name)}</strong> <span>${esc(roles.join(", "))}</span></li>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(release.name)} — ${esc(first.artist)}</title>
<meta name="description" content="${esc(release.description)}">
<link rel="stylesheet" href="./style.css">
${cover === undefined ? "" : `<meta property="og:image" content="${esc(cover)}">`}
</head>
<body>
<main class="release">
  <header class="hero">
    ${cover === undefined ? "" : `<img class="cover" src="${esc(cover)}" alt="Cover of ${esc(release.name)}" width="640" height="640">`}
    <div class="hero-text">
      <p class="kicker">${esc(release.tracks.length)} tracks${year ? ` · ${esc(year)}` : ""}${label ? ` · ${esc(label)}` : ""}</p>
      <h1>${esc(release.name)}</h1>
      <p class="artist">${esc(first.properties.albumArtist ?? first.artist)}</p>
      <p class="description">${esc(release.description)}</p>
      ${release.externalLink ? `<p><a class="external" href="${esc(release.externalLink)}" rel="noopener">${esc(new URL(release.externalLink).host)}</a></p>` : ""}
      <button id="verify-all" class="verify-all" type="button">Verify every track against the chain</button>
    </div>
  </header>
  <section class="tracks" aria-label="Tracks">
    <ol>
${release.tracks.map((track, i) => trackItem(track, i, config, art)).join("\n")}
    </ol>
  </section>
  <section class="about">
    <h2>Credits</h2>
    <ul class="people">${people}</ul>
    <h2>On-chain</h2>
    <p>Each track is an ERC-721 token of <code>${esc(release.contract)}</code> on chain ${esc(release.chainId)}. The token
    records the SHA-256 of the master recording; Verify fetches the bytes from the gateway, hashes them in your browser and
    compares them with the chain, and checks the track's metadata against the CID its token names.</p>
  </section>
  <footer>Built with DCMX Mint · audio from <code>${esc(new URL(config.gateway).host)}</code> · chain read through <code>${esc(new URL(config.rpc).host)}</code></footer>
</main>
<script id="page-config" type="application/json">${scriptJson(config)}</script>
<script type="module" src="./app.js"></script>
</body>
</html>
`;
}
