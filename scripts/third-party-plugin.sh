#!/usr/bin/env bash
# Builds and tests examples/plugin-feed as a third party would: from a copy
# outside the marketsync tree, against the SDK module alone. Fails when the
# copy's go.sum names any of the agent's own dependencies, which would mean
# the SDK pulls the agent in.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/examples/plugin-feed" "$work/plugin-feed"
cd "$work/plugin-feed"
go mod edit -replace "github.com/marketsync/marketsync/sdk=$repo/sdk"
go build ./...
go vet ./...
MARKETSYNC_SDK_DIR="$repo/sdk" go test -count=1 ./...
if grep -iE 'dgraph-io/badger|asynkron/protoactor|hashicorp/memberlist|VictoriaMetrics|hashicorp/hcl' go.sum; then
	echo "third-party plugin: go.sum lists agent dependencies (above)" >&2
	exit 1
fi
echo "third-party plugin: built and tested outside the tree on the SDK alone"
