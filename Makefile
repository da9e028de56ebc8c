# antrea-monitoring-operator
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= antrea-monitoring-operator:dev
BIN := $(CURDIR)/bin
CONTROLLER_GEN = $(shell hack/tools.sh controller-gen)
GOLANGCI_LINT = $(shell hack/tools.sh golangci-lint)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate the CRD and the operator's ClusterRole from the markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

.PHONY: generate
generate: ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object paths="./..."

CHART := charts/antrea-monitoring-operator
.PHONY: chart-sync
chart-sync: manifests ## Copy the CRDs and the operator's generated ClusterRole into the Helm chart.
	@rm -f $(CHART)/crds/*.yaml
	cp config/crd/bases/*.yaml $(CHART)/crds/
	cp config/rbac/role.yaml $(CHART)/files/manager-role.yaml

.PHONY: docs
docs: ## Generate the API reference docs/api.md from the Go types.
	go run ./hack/apidocs api/v1alpha1 docs/api.md

.PHONY: verify-gen
verify-gen: manifests generate chart-sync docs ## Regenerate and fail on any difference.
	@git diff --exit-code -- api config charts docs/api.md || { echo "Generated files are out of date: run 'make manifests generate chart-sync docs' and commit."; exit 1; }
	@test -z "$$(git status --porcelain -- api config charts docs/api.md)" || { git status --porcelain -- api config charts docs/api.md; echo "Untracked generated files: commit them."; exit 1; }

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

# The build tags of the test tiers beyond the unit tests: each tier's test
# files carry one (see "Tests" below). vet and lint see every file.
TEST_TAGS := promtool,envtest,packaging,e2e,incluster

.PHONY: vet
vet: ## go vet, every test tier's files included (-tags $(TEST_TAGS)).
	go vet -tags $(TEST_TAGS) ./...

.PHONY: lint
lint: ## golangci-lint (pinned, installed into bin/), every test tier's files included.
	$(GOLANGCI_LINT) run --build-tags $(TEST_TAGS) ./...

# prometheus-operator's CRDs, generated from the same version as the real
# prometheus-operator binary the end-to-end suite runs (hack/tools.sh), so the
# schema the tests install is the one that operator reads.
PROMETHEUS_OPERATOR_CRDS := $(BIN)/crds/monitoring.coreos.com
.PHONY: prometheus-operator-crds
prometheus-operator-crds:
	@hack/tools.sh prometheus-operator-crds >/dev/null

##@ Tests
#
# The tiers, fastest first; each can run alone, and `make test` runs them all.
#   test-unit       go test ./..., no tag, no binary: what a plain checkout runs.
#   test-promtool   build tag promtool: real promtool and Prometheus against the rendered configs and rules.
#   test-envtest    build tag envtest: the envtest suite (kube-apiserver, etcd, kube-controller-manager).
#   test-packaging  build tag packaging: the Helm chart and the kustomize overlay, applied to a real API server.
#   test-e2e        build tag e2e: real Prometheus and prometheus-operator scraping simulated Antrea.
#   test-incluster  build tag incluster: the chart on a real node (root).
# A tagged suite whose binaries are not set fails, naming its make target; none skips.

# make test sets COVER=1: each tier but the in-cluster one then writes
# cover.<tier>.out over COVERPKG (or the part of it the tier's packages
# import, $(2)), and make test merges them into cover.out.
COVERPKG := ./api/...,./controllers/...,./internal/...
cover = $(if $(COVER),-coverpkg=$(or $(2),$(COVERPKG)) -coverprofile cover.$(1).out)
# The suites run alone print every spec; make test runs them quietly (GINKGO_V=).
GINKGO_V ?= -v -ginkgo.v

# The tests of the files tagged promtool, and their packages: test-promtool
# runs only those (the packages' other tests are test-unit's).
PROMTOOL_FILES = $(shell grep -rlx --include='*_test.go' '//go:build promtool' internal test/fixtures)
PROMTOOL_PKGS = $(sort $(patsubst %/,./%,$(dir $(PROMTOOL_FILES))))
PROMTOOL_TESTS = $(shell grep -ho '^func Test[[:alnum:]_]*' $(PROMTOOL_FILES) | sed 's/^func //' | paste -sd '|')

TIERS := unit promtool envtest packaging e2e
comma := ,

.PHONY: test
test: verify-gen vet ## verify-gen, vet, then every tier: unit, promtool, envtest, packaging, e2e (coverage over them) and in-cluster (real node, root).
	@rm -f cover.out $(TIERS:%=cover.%.out); failed=; \
	for tier in $(TIERS); do \
	  echo "==> make test-$$tier"; \
	  $(MAKE) --no-print-directory test-$$tier COVER=1 GINKGO_V= || failed="$$failed test-$$tier"; \
	done; \
	profiles=; for tier in $(TIERS); do [ ! -f cover.$$tier.out ] || profiles="$$profiles cover.$$tier.out"; done; \
	if [ -n "$$profiles" ]; then \
	  { head -qn1 $$profiles | sort -u; for p in $$profiles; do sed 1d $$p; done; } > cover.out; rm -f $$profiles; \
	  echo "==> coverage of $(COVERPKG) by the tiers$$(echo "$$profiles" | sed 's/cover\.\([a-z0-9]*\)\.out/\1/g') (cover.out):"; \
	  go tool cover -func cover.out | tail -1; \
	fi; \
	if [ -n "$$failed" ]; then echo "==> FAILED:$$failed (test-incluster not run)"; exit 1; fi
	@echo "==> make test-incluster"
	@$(MAKE) --no-print-directory test-incluster

.PHONY: test-unit
test-unit: ## Unit and golden tests: plain go test ./..., no build tag, no binary (seconds once compiled).
	go test ./... -count=1 $(call cover,unit) $(TEST_ARGS)

.PHONY: test-promtool
test-promtool: ## Tests tagged promtool: promtool checks the golden configs and rules and runs the rules' unit tests; a real Prometheus checks the error classes (builds promtool and prometheus).
	@promtool=$$(hack/tools.sh promtool); echo "==> promtool: $$promtool"; \
	prometheus=$$(hack/tools.sh prometheus); echo "==> prometheus: $$prometheus"; \
	PROMTOOL=$$promtool PROMETHEUS=$$prometheus go test -tags promtool -run '^($(PROMTOOL_TESTS))$$' $(PROMTOOL_PKGS) -count=1 $(call cover,promtool,./api/...$(comma)./internal/...) $(TEST_ARGS)

.PHONY: test-envtest
test-envtest: prometheus-operator-crds ## The envtest suite (tag envtest): real kube-apiserver, etcd and kube-controller-manager, prometheus-operator's CRDs; verbose alone.
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets ($$($$assets/kube-apiserver --version))"; \
	kcm=$$(hack/tools.sh kube-controller-manager); echo "==> kube-controller-manager: $$kcm"; \
	crdsmin=$$(hack/tools.sh prometheus-operator-crds-min); echo "==> the oldest supported prometheus-operator's CRDs: $$crdsmin"; \
	crdsold=$$(hack/tools.sh prometheus-operator-crds-old); echo "==> a prometheus-operator's CRDs too old to support: $$crdsold"; \
	PROMETHEUS_OPERATOR_CRDS_MIN=$$crdsmin PROMETHEUS_OPERATOR_CRDS_OLD=$$crdsold PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm \
	go test -tags envtest ./test/envtest/... -count=1 $(GINKGO_V) $(call cover,envtest) $(TEST_ARGS)

.PHONY: test-packaging
test-packaging: prometheus-operator-crds ## The packaging suite (tag packaging): helm lint/template and kustomize build, dry-run applied to a real kube-apiserver (builds helm).
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets"; \
	helm=$$(hack/tools.sh helm); echo "==> helm: $$helm"; \
	HELM=$$helm PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$assets \
	go test -tags packaging ./test/packaging/... -count=1 $(call cover,packaging) $(TEST_ARGS)

.PHONY: test-e2e
test-e2e: prometheus-operator-crds ## The end-to-end suites (tag e2e): real Prometheus, Alertmanager, prometheus-operator and Antrea-like servers; verbose alone.
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets"; \
	kcm=$$(hack/tools.sh kube-controller-manager); echo "==> kube-controller-manager: $$kcm"; \
	prometheus=$$(hack/tools.sh prometheus); echo "==> prometheus: $$prometheus"; \
	alertmanager=$$(hack/tools.sh alertmanager); echo "==> alertmanager: $$alertmanager"; \
	promop=$$(hack/tools.sh prometheus-operator); echo "==> prometheus-operator: $$promop"; \
	ALERTMANAGER=$$alertmanager PROMETHEUS_OPERATOR=$$promop PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm PROMETHEUS=$$prometheus \
	go test -tags e2e ./test/e2e/... -count=1 -timeout 15m $(GINKGO_V) $(call cover,e2e) $(TEST_ARGS)

.PHONY: test-incluster
test-incluster: ## The in-cluster suite on a real node (root; builds kubelet, kube-scheduler, kube-proxy; installs containerd, runc, CNI plugins from Debian when missing).
	@hack/tools.sh node-packages >/dev/null; \
	assets=$$(hack/tools.sh envtest); kcm=$$(hack/tools.sh kube-controller-manager); prometheus=$$(hack/tools.sh prometheus); \
	helm=$$(hack/tools.sh helm); node=$$(hack/tools.sh node); echo "==> real node: $$node ($$($$node/kubelet --version))"; \
	promop=$$(hack/tools.sh prometheus-operator); reloader=$$(hack/tools.sh prometheus-config-reloader); crds=$$(hack/tools.sh prometheus-operator-crds); \
	PROMETHEUS_OPERATOR=$$promop PROMETHEUS_CONFIG_RELOADER=$$reloader PROMETHEUS_OPERATOR_CRDS=$$crds \
	NODE_BINARIES=$$node HELM=$$helm PROMETHEUS=$$prometheus KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm \
	go test -tags incluster ./test/incluster/... -count=1 -timeout 30m -v -ginkgo.v $(INCLUSTER_ARGS)

.PHONY: fuzz
fuzz: ## Fuzz the Antrea conf editor (FUZZTIME=1m).
	go test ./internal/antreaconf -run '^$$' -fuzz FuzzSet -fuzztime $${FUZZTIME:-1m}

.PHONY: bench
bench: ## Benchmarks: the packages' own, decoding 50,000 targets, then the operator's memory against unrelated objects, its memory and reconcile time at 5,000 Nodes, and a real Prometheus scraping 1,000 simulated agents per series profile against the guide's jobs (test/bench, tag envtest: real control plane, each run once). Fails if any fails.
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets"; rc=0; \
	kcm=$$(hack/tools.sh kube-controller-manager); echo "==> kube-controller-manager: $$kcm"; \
	prometheus=$$(hack/tools.sh prometheus); echo "==> prometheus: $$prometheus"; \
	KUBEBUILDER_ASSETS=$$assets go test $$(go list ./... | grep -v '/test/bench$$') -run '^$$' -bench . -benchmem || rc=1; \
	go test ./test/bench -run '^$$' -bench '^BenchmarkTargets$$' -benchmem -count=1 -v || rc=1; \
	KUBEBUILDER_ASSETS=$$assets go test -tags envtest ./test/bench -run '^$$' -bench '^BenchmarkOperatorMemory$$' -benchtime=1x -timeout 20m -v || rc=1; \
	KUBEBUILDER_ASSETS=$$assets go test -tags envtest ./test/bench -run '^$$' -bench '^BenchmarkOperatorNodes$$' -benchtime=1x -timeout 20m -v || rc=1; \
	KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm PROMETHEUS=$$prometheus go test -tags envtest ./test/bench -run '^$$' -bench '^BenchmarkPrometheusScale$$' -benchtime=1x -timeout 20m -v || rc=1; \
	exit $$rc

##@ Build

.PHONY: build
build: generate ## Build the operator binary.
	go build -o $(BIN)/manager .

.PHONY: run
run: manifests generate ## Run the operator against the current kubeconfig.
	go run . $(ARGS)

.PHONY: docker-build
docker-build: ## Build the image (needs a Docker engine).
	docker build -t $(IMG) .

# The same image as the Dockerfile, built without a container engine
# (hack/image): the binary at /manager, user 65532:65532, CA certificates.
IMAGE_TAR := $(BIN)/image/antrea-monitoring-operator.tar
IMAGE_ARCH ?= $(shell go env GOARCH)
CONTAINERD_ADDRESS ?= /run/containerd/containerd.sock
IMAGE_FLAGS = -o $(IMAGE_TAR) -name $(IMG) -binary $(BIN)/manager-linux -path /manager -user 65532:65532 -arch $(IMAGE_ARCH)

.PHONY: manager-linux
manager-linux: ## Build the operator binary as the Dockerfile does, into bin/manager-linux.
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) go build -trimpath -ldflags "-s -w" -o $(BIN)/manager-linux .

.PHONY: image
image: manager-linux ## Build the image IMG without Docker (the Dockerfile's layout) into bin/image/antrea-monitoring-operator.tar.
	go run ./hack/image $(IMAGE_FLAGS)

.PHONY: image-load
image-load: manager-linux ## Build the image and import it into containerd's k8s.io namespace (CONTAINERD_ADDRESS, needs ctr).
	go run ./hack/image $(IMAGE_FLAGS) -load $(CONTAINERD_ADDRESS)

.PHONY: image-push
image-push: manager-linux ## Build the image and push it to IMG (credentials from the Docker config).
	go run ./hack/image $(IMAGE_FLAGS) -push $(IMG)

##@ Local

.PHONY: demo
demo: ## The whole thing on a laptop: control plane, simulated Antrea, real Prometheus, operator (Ctrl-C stops it all). NODE=1: on a real node, the chart installed with Helm (root).
	@assets=$$(hack/tools.sh envtest); kcm=$$(hack/tools.sh kube-controller-manager); prometheus=$$(hack/tools.sh prometheus); \
	if [ -n "$(NODE)" ]; then \
	  hack/tools.sh node-packages >/dev/null; helm=$$(hack/tools.sh helm); node=$$(hack/tools.sh node); \
	  go build -o $(BIN)/nodedemo ./hack/nodedemo && \
	  NODE_BINARIES=$$node HELM=$$helm KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm PROMETHEUS=$$prometheus exec $(BIN)/nodedemo; \
	else \
	  go build -o $(BIN)/localcluster ./hack/localcluster && \
	  KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm PROMETHEUS=$$prometheus exec $(BIN)/localcluster; \
	fi
