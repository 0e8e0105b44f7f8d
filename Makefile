# xs2a: `make demo` runs the product, `make test` checks it. Nothing else is needed; `make help` lists the rest.
GO       ?= go
BIN      := bin/xs2a
PKGS     := ./...
FUZZTIME ?= 20s
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/xs2a-dev/xs2a/cmd/xs2a/internal/app.Version=$(VERSION)
MODULE   := github.com/xs2a-dev/xs2a
# Tools are pinned and fetched from the Go module proxy into bin/tools (gitignored).
STATICCHECK_VERSION := v0.8.2
TOOLS       := $(CURDIR)/bin/tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)
# Extra go test flags for quick and cover, e.g. TESTFLAGS=-count=1 to ignore the test cache.
TESTFLAGS ?=

.PHONY: all help build test vet fmt-check unit lint staticcheck tidy-check quick cover demo bench soak fuzz completions clean

all: build

## help: list the targets and what they do
help:
	@awk '/^## [A-Za-z0-9_-]+:/ { t = $$2; sub(/:$$/, "", t); txt = $$0; sub(/^## [^:]*: */, "", txt); \
	       printf "  %-12s %s\n", t, txt; next } \
	     /^## / { txt = $$0; sub(/^## */, "", txt); printf "  %-12s %s\n", "", txt }' $(firstword $(MAKEFILE_LIST))

## build: the binary at bin/xs2a, stamped with the git version
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/xs2a

## test: vet, formatting, and every test with the race detector (fuzz seed corpora included)
test: vet fmt-check unit

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

## lint: go vet, gofmt, staticcheck (pinned, fetched from the module proxy) and go mod tidy -diff; .ci/run runs it
lint: vet fmt-check staticcheck tidy-check

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

$(STATICCHECK):
	@mkdir -p $(TOOLS)/.install
	GOBIN=$(TOOLS)/.install $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@mv $(TOOLS)/.install/staticcheck $@ && rmdir $(TOOLS)/.install

tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

## quick: the inner loop, under a minute: unit tests of pkg/ and cmd/xs2a/internal/, no race detector, no binary,
## no browser (the built-binary tests in cmd/xs2a run in make test)
quick:
	$(GO) test $(TESTFLAGS) ./pkg/... ./cmd/xs2a/internal/...

## cover: every test without -race, the unit counters merged with those of the binary the cmd/xs2a tests run;
## prints each package's percentage and the total, writes coverage.out
cover:
	@set -e; dir="$$(mktemp -d)"; trap 'rm -rf "$$dir"' EXIT; mkdir -p "$$dir/unit" "$$dir/bin"; \
	XS2A_COVERDIR="$$dir/bin" $(GO) test -count=1 $(TESTFLAGS) -cover -covermode=set -coverpkg=$(MODULE)/... $(PKGS) \
	  -args -test.gocoverdir="$$dir/unit" >"$$dir/test.log" 2>&1 || { cat "$$dir/test.log"; exit 1; }; \
	grep -E '^(ok|FAIL|---)' "$$dir/test.log" | sed 's/coverage: .*//' || true; \
	echo; echo "coverage by package (unit tests and the built binary, merged):"; \
	$(GO) tool covdata percent -i="$$dir/unit,$$dir/bin" | sed 's,$(MODULE)/,,' | sort; \
	$(GO) tool covdata textfmt -i="$$dir/unit,$$dir/bin" -o coverage.out; \
	$(GO) tool cover -func=coverage.out | tail -1; \
	echo "wrote coverage.out (go tool cover -html=coverage.out)"

## demo: build, then sign a request with throw-away certificates and explain it
demo: build
	@bash scripts/demo.sh $(BIN)

## bench: engine benchmarks, certificate generation, xs2a sign vs an openssl pipeline, sandbox and proxy under load,
## and the memory of -v against a gzip bomb
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	@bash scripts/bench-sign.sh $(BIN)
	@bash scripts/bench-sandbox.sh
	@bash scripts/bench-proxy.sh
	@bash scripts/bench-flow.sh $(BIN)
	@bash scripts/bench-memory.sh

## soak: 16 simulated TPPs loop the whole AIS journey against the sandbox for 3 minutes (leaks, 5xx, latency), then token requests as fast as the bank allows (the heap stays flat)
soak:
	XS2A_SOAK=3m $(GO) test -run '^(TestSoak|TestTokenSoak)$$' -count=1 -v ./pkg/sandbox/

## fuzz: each fuzz target for FUZZTIME (findings land in testdata/fuzz and are replayed by make test)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg; \
	  done; \
	done

## completions: regenerate shell completions into completions/ (committed)
completions: build
	@mkdir -p completions
	$(BIN) completion bash > completions/xs2a.bash
	$(BIN) completion zsh > completions/_xs2a
	$(BIN) completion fish > completions/xs2a.fish
	$(BIN) completion powershell > completions/xs2a.ps1

## clean: remove bin/ (the binary and the pinned tools) and coverage.out
clean:
	rm -rf bin coverage.out
