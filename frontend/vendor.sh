#!/usr/bin/env bash
# Copies the built NHS.UK frontend into static/nhsuk and axe-core into tests/browser/vendor, so
# the app serves them itself (no CDN) and the browser tests need no network. Run after changing
# a version in package.json; commit the result.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund
dist=node_modules/nhsuk-frontend/dist/nhsuk
out=../static/nhsuk
rm -rf "$out" && mkdir -p "$out/assets"
cp -r "$dist/assets/images" "$out/assets/"
cp "$dist/assets/manifest.json" "$out/assets/"
cp "$dist/nhsuk-frontend.min.js" "$out/"
# The stylesheet points at /assets/ and at fonts on assets.nhs.uk: serve the images from beside
# the stylesheet, and drop the remote font faces (the design system falls back to Arial).
sed -e 's#url(/assets/#url(assets/#g' \
    -e 's#@font-face{[^}]*assets\.nhs\.uk[^}]*}##g' \
    -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
    "$dist/nhsuk-frontend.min.css" > "$out/nhsuk-frontend.min.css"
sed -i -e 's#//\# sourceMappingURL=.*$##' "$out/nhsuk-frontend.min.js"
mkdir -p ../tests/browser/vendor
cp node_modules/axe-core/axe.min.js ../tests/browser/vendor/axe.min.js
echo "Vendored nhsuk-frontend $(node -p "require('./node_modules/nhsuk-frontend/package.json').version") and axe-core $(node -p "require('./node_modules/axe-core/package.json').version")"
