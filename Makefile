# marketsync build. Every tool this needs is installed from here, so a fresh
# machine with Go (and, for some tests, Debian's apt) is enough.

GO        ?= go
BIN       := $(CURDIR)/bin
TOOLS     := $(BIN)/tools
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/marketsync/marketsync/daemon/version.Version=$(VERSION)

# Pinned code generators for `make proto`.
BUF_VERSION            := v1.75.0
PROTOC_GEN_GO_VERSION  := v1.36.12
PROTOC_GEN_GRPC_VERSION := v1.6.0

# Pinned linter for `make vet` (staticcheck 2026.2.2, which knows Go 1.26).
STATICCHECK_VERSION := v0.8.2

PLUGINS := $(notdir $(wildcard plugins/*))

# Debian packages are installed as root, or through sudo when there is one.
SUDO        := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
APT_INSTALL := $(SUDO) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$$@"' apt-install

.PHONY: all build run test test-short vet bench proto fmt clean tools

all: build

## build: the agent and every plugin into ./bin
build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/marketsync ./daemon/cmd/marketsync
	@for p in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/marketsync-plugin-$$p ./plugins/$$p"; \
		$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/marketsync-plugin-$$p ./plugins/$$p || exit 1; \
	done
	@# The third-party example lives apart from the first-party plugins,
	@# so it is not in the default plugin_dir.
	$(GO) build -o $(BIN)/examples/marketsync-plugin-feed ./examples/plugin-feed

## run: the agent in -dev mode (in-memory state, sandbox platforms)
run: build
	$(BIN)/marketsync agent -dev

## test: vet, then every test of both modules (the agent and the SDK) with the race detector
test: vet build tools
	MARKETSYNC_REQUIRE_TOOLS=1 $(GO) test -race -count=1 ./...
	cd sdk && $(GO) test -race -count=1 ./...

## test-short: every test of both modules in -short mode, scaled down to run in under a minute
test-short:
	$(GO) test -short -count=1 ./...
	cd sdk && $(GO) test -short -count=1 ./...

## tools: external programs the tests check against (Prometheus's promtool)
tools:
	@command -v promtool >/dev/null 2>&1 || $(APT_INSTALL) prometheus

## vet: go vet, staticcheck and gofmt on both modules. staticcheck leaves files
## marked "Code generated ... DO NOT EDIT." (the *.pb.go) out of its simplifications
## and unused checks; its style checks still read them and pass today.
vet: $(TOOLS)/staticcheck
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	$(TOOLS)/staticcheck ./...
	cd sdk && $(TOOLS)/staticcheck ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

## bench: the benchmarks quoted in the README
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...

## proto: regenerate protocol code with pinned generators
proto: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc
	PATH=$(TOOLS):$$PATH buf generate --template buf.gen.sdk.yaml sdk/proto
	PATH=$(TOOLS):$$PATH buf generate --template buf.gen.actors.yaml actors

$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GRPC_VERSION)
$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## fmt: gofmt the Go code
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
