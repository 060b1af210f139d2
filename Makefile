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

PLUGINS := $(notdir $(wildcard plugins/*))

# The Go modules of the tree: the agent, the SDK plugin authors depend on,
# and the third-party example plugin that depends on the SDK alone.
MODULES := . sdk examples/plugin-feed

# Debian packages are installed as root, or through sudo when there is one.
SUDO        := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
APT_INSTALL := $(SUDO) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$$@"' apt-install

.PHONY: all build run test vet bench proto fmt clean tools

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
	cd examples/plugin-feed && $(GO) build -o $(BIN)/examples/marketsync-plugin-feed .

## run: the agent in -dev mode (in-memory state, sandbox platforms)
run: build
	$(BIN)/marketsync agent -dev

## test: vet, then every test of both modules (the agent and the SDK) with the race detector
test: vet build tools
	@for m in $(MODULES); do \
		echo "(cd $$m && go test -race -count=1 ./...)"; \
		(cd $$m && MARKETSYNC_REQUIRE_TOOLS=1 $(GO) test -race -count=1 ./...) || exit 1; \
	done
	scripts/third-party-plugin.sh

## tools: external programs the tests check against (Prometheus's promtool)
tools:
	@command -v promtool >/dev/null 2>&1 || $(APT_INSTALL) prometheus

vet:
	@for m in $(MODULES); do echo "(cd $$m && go vet ./...)"; (cd $$m && $(GO) vet ./...) || exit 1; done
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

## fmt: gofmt the Go code
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)

.PHONY: bench-memory

## bench-memory: the agent's resident memory and throughput while it collects
## 100,000 sandbox products twice (a minute or two; not part of bench or test).
## BENCH_MEMORY_N=1000000 measures a million (about 10 minutes on 2 cores).
BENCH_MEMORY_N ?= 100000
bench-memory: build
	MARKETSYNC_BENCH_MEMORY=1 $(GO) test -run '^$$' -bench 'AgentMemory/$(BENCH_MEMORY_N)$$' -benchtime 1x -timeout 2h ./daemon/cmd/marketsync/
