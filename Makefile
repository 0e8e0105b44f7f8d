# xs2a: `make demo` runs the product, `make test` checks it. Nothing else is needed.
GO       ?= go
BIN      := bin/xs2a
PKGS     := ./...
FUZZTIME ?= 20s
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/xs2a-dev/xs2a/cmd/xs2a/internal/app.Version=$(VERSION)

.PHONY: all build test vet fmt-check unit demo bench soak fuzz completions clean

all: build

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
	$(GO) test -race -count=1 $(PKGS)

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

clean:
	rm -rf bin
