# hhgate — two commands on a fresh machine: `make demo` and `make test`;
# `make unit` is the quick loop and needs Go alone.
GO      ?= go
BIN     := bin/hhgate
PKGS    := ./...
export GOTOOLCHAIN := local

.PHONY: all build deps unit test lint fuzz bench demo demo-sso xcaddy image clean

all: build

# Build the gateway once; the tests reuse it through HHGATE_BIN.
build:
	$(GO) build -o $(BIN) ./cmd/hhgate

# Debian packages and npm assets the tests and the demo need.
deps:
	bash scripts/install-deps.sh

# Every unit test (fuzz seed corpora and the package-map check included) with
# Go alone: no Django, npm, Chromium, kube-apiserver or built gateway. Tests
# that start those carry //go:build e2e and run in `make test`.
unit:
	$(GO) test $(PKGS)

# staticcheck, pinned, built once into ~/.cache/hhgate per Go version.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(HOME)/.cache/hhgate/staticcheck-$(STATICCHECK_VERSION)-$(shell $(GO) env GOVERSION)/staticcheck

$(STATICCHECK):
	GOBIN=$(dir $(STATICCHECK)) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# gofmt, then go vet and staticcheck over both builds: the unit one and the
# end-to-end one (-tags e2e).
lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) vet -tags e2e $(PKGS)
	$(STATICCHECK) $(PKGS)
	$(STATICCHECK) -tags e2e $(PKGS)

# The whole suite: unit tests (fuzz seed corpora included) and, with
# -tags e2e, the end-to-end tests through the built gateway against the
# Django stand-in, a real kube-apiserver (built once into ~/.cache/hhgate,
# 7 to 25 minutes the first time on 2 cores) and headless Chromium.
test: deps build lint
	KUBEBUILDER_ASSETS=$$(bash scripts/build-envtest-bins.sh | tail -1) \
	HHGATE_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 30m -tags e2e $(PKGS)

# Run each fuzz target for FUZZTIME (the seed corpora already run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzSameOriginPath$$' -fuzztime $(FUZZTIME) ./sessionguard/
	$(GO) test -run '^$$' -fuzz '^FuzzIsLoginLocation$$' -fuzztime $(FUZZTIME) ./sessionguard/
	$(GO) test -run '^$$' -fuzz '^FuzzIsProgrammatic$$' -fuzztime $(FUZZTIME) ./sessionguard/
	$(GO) test -run '^$$' -fuzz '^FuzzHeadInjector$$' -fuzztime $(FUZZTIME) ./sessionguard/
	$(GO) test -run '^$$' -fuzz '^FuzzDigestAgreesWithMatches$$' -fuzztime $(FUZZTIME) ./k8ssync/diff/

# The guard's cost against the same chain without it: Go benchmark, then a
# wrk load run alternating both configurations over one upstream.
# Then the fabric sync on generated fabrics of 2,000, 10,000 and 20,000
# objects (HHGATE_BENCH_SIZES) against the floors of the same run and, at
# 2,000, the plugin's per-object algorithm (real kube-apiserver, Django stand-in).
# Then the fabric controller: CR change → NetBox latency (default and 1s
# debounce) and its idle cost with 10 fabrics of 500 objects over 5 minutes.
BENCH_ROUNDS ?= 5
bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem ./sessionguard/ ./k8ssync/diff/ ./oidcsession/
	$(GO) run ./bench/loadcompare -hhgate $(BIN) -rounds $(BENCH_ROUNDS)
	KUBEBUILDER_ASSETS=$$(bash scripts/build-envtest-bins.sh | tail -1) HHGATE_BIN=$(abspath $(BIN)) \
	$(GO) test -tags e2e -run '^$$' -bench FabricSync -benchtime 1x -timeout 60m -v ./bench/syncbench/
	KUBEBUILDER_ASSETS=$$(bash scripts/build-envtest-bins.sh | tail -1) HHGATE_BIN=$(abspath $(BIN)) \
	$(GO) test -tags e2e -run '^$$' -bench Controller -benchtime 1x -timeout 30m -v ./bench/controllerbench/

# The gateway in front of the NetBox stand-in, with user admin/admin.
demo: deps build
	$(GO) run ./testenv/cmd/hhgate-demo -hhgate $(BIN)

# The same with single sign-on: an in-process OIDC provider, the stand-in in
# remote-auth mode and the drop-in Caddyfile with HHGATE_SSO=on.
demo-sso: deps build
	$(GO) run ./testenv/cmd/hhgate-demo-sso -hhgate $(BIN)

# Build a custom Caddy with hhgate's modules (and any extra plugins listed in
# xcaddy.json) using xcaddy.
XCADDY_VERSION ?= v0.4.5
xcaddy:
	command -v xcaddy >/dev/null || $(GO) install github.com/caddyserver/xcaddy/cmd/xcaddy@$(XCADDY_VERSION)
	$(GO) run ./cmd/xcaddy-recipe -recipe xcaddy.json -gomod go.mod -xcaddy "$$(command -v xcaddy || echo $$($(GO) env GOPATH)/bin/xcaddy)"

# The container image (Containerfile): a static binary, the host's CA
# certificates and the drop-in Caddyfile on an empty base, non-root. podman
# or docker, whichever is installed. The suite tests the same binary (the
# image's is this build, CGO off).
IMAGE     ?= hhgate:latest
CONTAINER ?= $(shell command -v podman || command -v docker)
image:
	@test -n "$(CONTAINER)" || { echo "make image needs podman or docker"; exit 1; }
	rm -rf bin/image && mkdir -p bin/image/data
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/image/hhgate ./cmd/hhgate
	cp /etc/ssl/certs/ca-certificates.crt Caddyfile bin/image/
	echo 'hhgate:x:65532:65532:hhgate:/data:/sbin/nologin' > bin/image/passwd
	$(CONTAINER) build -f Containerfile -t $(IMAGE) bin/image
	$(CONTAINER) image ls $(IMAGE)

clean:
	rm -rf bin
