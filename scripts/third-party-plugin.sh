#!/usr/bin/env bash
# Builds examples/plugin-feed as a third party would, following the SDK
# guide's "Starting from an empty folder" (sdk/README.md) command by
# command: an empty folder outside the marketsync tree, `go mod init`, the
# SDK required and replaced by this tree's copy, the plugin's sources, then
# `go mod tidy`, build and test (go vet of the same sources runs in
# examples/plugin-feed's own module under make test). Fails when the
# resulting go.sum names any of the agent's own dependencies, which would
# mean the SDK pulls the agent in.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The plugin's tests build it into a directory under TMPDIR kept per
# module folder; this folder is new each run, so keep that under $work too.
mkdir "$work/tmp"
export TMPDIR="$work/tmp"
mkdir "$work/marketsync-plugin-feed"
cd "$work/marketsync-plugin-feed"
go mod init example.com/marketsync-plugin-feed
go mod edit -require github.com/marketsync/marketsync/sdk@v0.0.0-00010101000000-000000000000 \
            -replace "github.com/marketsync/marketsync/sdk=$repo/sdk"
# The plugin's sources (not its go.mod: the point is to make one anew).
cp "$repo"/examples/plugin-feed/*.go .
cp -r "$repo/examples/plugin-feed/testdata" .
go mod tidy
go build -o marketsync-plugin-feed .
MARKETSYNC_SDK_DIR="$repo/sdk" go test -count=1 ./...
if grep -iE 'dgraph-io/badger|asynkron/protoactor|hashicorp/memberlist|VictoriaMetrics|hashicorp/hcl' go.sum; then
	echo "third-party plugin: go.sum lists agent dependencies (above)" >&2
	exit 1
fi
echo "third-party plugin: built and tested from an empty folder on the SDK alone"
