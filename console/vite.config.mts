import { defineConfig } from "vite";

// Envoy serves the build output itself (gateway/render.py reads dist/.vite/manifest.json), so every
// asset gets a hashed name under /console/assets/ and nothing is inlined: the CSP allows no inline
// script or style.
export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
});
