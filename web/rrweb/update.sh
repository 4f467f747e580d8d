#!/bin/sh
# Fetches rrweb from npm and refreshes the vendored files (see README.md).
set -eu
version=2.2.2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "rrweb@$version" >/dev/null && tar xzf "rrweb-$version.tgz")
sha256sum "$tmp/rrweb-$version.tgz"
cp "$tmp/package/umd/rrweb.min.js" "$here/rrweb.min.js"
cp "$tmp/package/dist/style.min.css" "$here/rrweb.css"
