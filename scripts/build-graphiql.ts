// GraphiQL's bundle as compressed, content-hashed files in dist/graphiql, so the gateway serves
// them from disk and never builds them while serving. Runs after `npm run build` (postbuild) and
// before `npm test` (pretest: otherwise every test process that opens GraphiQL would build them at once).
import { buildGraphiQLAssets, readGraphiQLManifest } from '../src/graphiql-assets.js';

if (readGraphiQLManifest()) {
  console.log('GraphiQL assets: up to date in dist/graphiql');
} else {
  const started = performance.now();
  const manifest = await buildGraphiQLAssets();
  const bytes = Object.values(manifest.assets).reduce((sum, asset) => sum + asset.bytes.br, 0);
  console.log(`GraphiQL assets: built into dist/graphiql (${(bytes / 1e6).toFixed(1)} MB with brotli) in ${Math.round(performance.now() - started)} ms`);
}
