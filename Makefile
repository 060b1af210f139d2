# marketsync build. Every tool this needs is installed from here, so a fresh
# machine with Go and the Go module proxy is enough.

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

# Every binary built with -race (each test binary under make test) would
# otherwise sleep a second before it exits, for threads still running to
# report a race; reports already in progress are waited for either way.
# An operator's own GORACE options come after this one and win.
export GORACE := $(strip atexit_sleep_ms=0 $(GORACE))

# make test's go commands compile and link with GOGC=400 (see test); the
# test binaries, and the agents and plugins they start, run with Go's
# default, set back by RUN_DEFAULT_GC.
BUILD_GOGC := GOGC=400
RUN_DEFAULT_GC := -exec 'env GOGC=100'

# The Go modules of the tree: the agent, the SDK plugin authors depend on,
# the third-party example plugin that depends on the SDK alone, and the
# Prometheus rules' check (Prometheus's rule parser stays out of the agent).
MODULES := . sdk examples/plugin-feed examples/prometheus
OTHER_MODULES := $(filter-out .,$(MODULES))

# Fuzz tests as module:package:test. `make fuzz` runs each for FUZZTIME;
# `make test-full` runs each for 5s so that CI keeps the seed corpora
# (testdata/fuzz) passing and explores a little. Minimizing a new
# interesting input is capped at 1s: uncapped, it ate whole short runs.
FUZZ_TESTS := .:./config:FuzzDecode \
	.:./daemon/api:FuzzCollect .:./daemon/api:FuzzListQuery \
	.:./daemon/webhook:FuzzDelivery \
	sdk:./model:FuzzCheck sdk:./model:FuzzProductValidate
FUZZTIME ?= 20s

.PHONY: all build build-agent build-example run test test-full lint fmt-check vet bench bench-cache bench-quota bench-sync proto fmt clean fuzz test-short

all: build

## build: the agent and every plugin into ./bin
# One go build for the agent and every plugin, so the compiler uses every
# core; go names each binary after its folder, so the plugins are renamed
# after. The third-party example is its own module and builds into
# bin/examples (not the default plugin_dir); `make run` leaves it out, so
# a first run compiles only what it starts.
build: build-agent build-example

build-agent:
	@mkdir -p $(BIN)/.build
	@echo "building marketsync and the plugins ($(PLUGINS)) into $(BIN)"
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/.build/ ./daemon/cmd/marketsync $(addprefix ./plugins/,$(PLUGINS))
	@mv $(BIN)/.build/marketsync $(BIN)/marketsync
	@for p in $(PLUGINS); do mv $(BIN)/.build/$$p $(BIN)/marketsync-plugin-$$p; done
	@echo "built: $$(cd $(BIN) && ls marketsync marketsync-plugin-* | tr '\n' ' ')"

build-example:
	@mkdir -p $(BIN)/examples
	cd examples/plugin-feed && $(GO) build -o $(BIN)/examples/marketsync-plugin-feed .

## run: the agent in -dev mode (in-memory state, sandbox platforms)
run: build-agent
	$(BIN)/marketsync agent -dev

.PHONY: run-cluster

## run-cluster: three agents on 127.0.0.1 (examples/cluster/node-*.hcl); Ctrl-C stops them
run-cluster: build-agent
	@trap 'kill $$(jobs -p) 2>/dev/null' INT TERM EXIT; \
	for i in 1 2 3; do $(BIN)/marketsync agent -config examples/cluster/node-$$i.hcl & done; wait

## test: gofmt, then go vet and every test of every module with the race
## detector, the long suites scaled down (-short), and the third-party plugin
## guide built from an empty folder. vet is built with -race too, so it
## compiles what the tests then reuse instead of a build of its own. Two lanes run side by side so one's compiling
## fills the other's idle moments: the agent's module, and the rest (the
## other modules and the guide); the second lane's output is printed when it
## ends. The agent's module runs three packages at a time (-p 3): on two
## cores that keeps both busy while one package links. Test binaries are
## linked without DWARF (-ldflags=-w: a fifth less link time each, stack
## traces unchanged), and go test skips its own vet pass (-vet=off), a subset
## of what go vet has just run. The SDK is vetted and built (with and
## without -race) before the lanes split: both lanes need it and the standard
## library, and two go commands that start cold together compile what they
## share twice. The go commands run with GOGC=400, so the compiler and the
## linker spend about a tenth less CPU collecting garbage, for a few hundred
## MB more heap; the test binaries are started through `env GOGC=100` (go
## test -exec), so the tests and what they start run with Go's default.
## `make test-full` is what CI adds.
test: fmt-check
	@echo "(cd sdk && go vet -race ./... && go build ./...)"
	@cd sdk && $(BUILD_GOGC) $(GO) vet -race ./... && $(BUILD_GOGC) $(GO) build ./...
	@lane=$$(mktemp); \
	( set -e; \
	  for m in $(OTHER_MODULES); do \
		echo "(cd $$m && go vet -race ./... && go test -race -short -count=1 -vet=off -ldflags=-w ./...)"; \
		(cd $$m && $(BUILD_GOGC) $(GO) vet -race ./... && $(BUILD_GOGC) $(GO) test $(RUN_DEFAULT_GC) -race -short -count=1 -vet=off -ldflags=-w ./...); \
	  done; \
	  scripts/third-party-plugin.sh ) >$$lane 2>&1 & other=$$!; \
	echo "(go vet -race ./... && go test -race -short -count=1 -vet=off -ldflags=-w -p 3 ./...)"; \
	$(BUILD_GOGC) $(GO) vet -race ./... && $(BUILD_GOGC) $(GO) test $(RUN_DEFAULT_GC) -race -short -count=1 -vet=off -ldflags=-w -p 3 ./...; rc=$$?; \
	wait $$other; orc=$$?; \
	echo "--- $(OTHER_MODULES), third-party guide:"; cat $$lane; rm -f $$lane; \
	[ $$rc -eq 0 ] && [ $$orc -eq 0 ]

## test-full: what CI runs besides make test: staticcheck, every test at full
## size with the race detector, the cancel tests twenty times over (cancelling
## a job as it finishes once raced its actor's stop), the three-process
## failover and paused-owner runs that need a flag, and each fuzz test for
## 5 s on top of its seed corpus. About five minutes after make test here.
test-full: lint
	@for m in $(MODULES); do \
		echo "(cd $$m && go test -race -count=1 ./...)"; \
		(cd $$m && $(GO) test -race -count=1 ./...) || exit 1; \
	done
	@echo "(go test -race -count=20 -run Cancel ./actors/job/ ./daemon/agent/)"
	@$(GO) test -race -count=20 -run 'Cancel' ./actors/job/ ./daemon/agent/
	@echo "(the three-process runs on real clocks: the owner's failover, a paused owner's fenced writes)"
	@$(GO) test -count=1 -run 'OwnershipFailoverProcesses' ./daemon/cluster/ -args -failover
	@$(GO) test -count=1 -run 'PausedOwner|SyncRunMovesOnOwner' ./daemon/agent/ -args -fencing
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5s

## fuzz: run every fuzz test for FUZZTIME each (default 20s)
fuzz:
	@for t in $(FUZZ_TESTS); do \
		m=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; name=$${rest#*:}; \
		echo "(cd $$m && go test -run '^$$' -fuzz '^$$name\$$' -fuzztime $(FUZZTIME) $$pkg)"; \
		(cd $$m && $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg) || exit 1; \
	done

## test-short: every test of every module in -short mode, the slow ones scaled down;
## the modules run side by side, so one's compiling fills the other's idle moments
test-short:
	@pids=""; for m in $(MODULES); do \
		echo "(cd $$m && go test -short -count=1 ./...)"; \
		(cd $$m && $(GO) test -short -count=1 ./...) & pids="$$pids $$!"; \
	done; rc=0; for p in $$pids; do wait $$p || rc=1; done; exit $$rc

## vet: go vet, staticcheck and gofmt on every module. staticcheck leaves files
## marked "Code generated ... DO NOT EDIT." (the *.pb.go) out of its simplifications
## and unused checks; its style checks still read them and pass today.
vet: fmt-check lint
	@for m in $(MODULES); do \
		echo "(cd $$m && go vet ./...)"; \
		(cd $$m && $(GO) vet ./...) || exit 1; \
	done

## lint: staticcheck on every module
lint: $(TOOLS)/staticcheck
	@for m in $(MODULES); do \
		echo "(cd $$m && staticcheck ./...)"; \
		(cd $$m && $(TOOLS)/staticcheck ./...) || exit 1; \
	done

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

## bench: the benchmarks quoted in the README
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-cache: the cache's hit rate on a Zipf-distributed read workload
bench-cache:
	$(GO) test -run '^$$' -bench ZipfReads -benchtime 200000x -count 3 ./daemon/cache/

## bench-sync: a full sync against a naive one-call-per-product sync, in the same run
bench-sync:
	$(GO) test -run '^$$' -bench SyncVsNaive -benchtime 1x ./daemon/syncengine/

## bench-quota: the quota matrix (every simulator, burst, told limit and refusal variant) and the Shopify cost matrix on synctest's clock
bench-quota:
	$(GO) test -run 'QuotaMatrix|ShopifyCost' -v -timeout 30m ./daemon/quotabench/ -quota

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

.PHONY: bench-memory

## bench-memory: the agent's resident memory and throughput while it collects
## 100,000 sandbox products twice (a minute or two; not part of bench or test).
## BENCH_MEMORY_N=1000000 measures a million (about 10 minutes on 2 cores).
BENCH_MEMORY_N ?= 100000
bench-memory: build
	MARKETSYNC_BENCH_MEMORY=1 $(GO) test -run '^$$' -bench 'AgentMemory/$(BENCH_MEMORY_N)$$' -benchtime 1x -timeout 2h ./daemon/cmd/marketsync/
test-netns: ; $(GO) test -count=1 -v -run PartitionedHolderOnNetworkNamespaces ./daemon/cluster/netns/
