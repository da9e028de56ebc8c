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

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: ## golangci-lint (pinned, installed into bin/).
	$(GOLANGCI_LINT) run ./...

# prometheus-operator's CRDs, generated from the same version as the real
# prometheus-operator binary the end-to-end suite runs (hack/tools.sh), so the
# schema the tests install is the one that operator reads.
PROMETHEUS_OPERATOR_CRDS := $(BIN)/crds/monitoring.coreos.com
.PHONY: prometheus-operator-crds
prometheus-operator-crds:
	@hack/tools.sh prometheus-operator-crds >/dev/null

.PHONY: test
test: verify-gen vet prometheus-operator-crds ## Unit, golden (promtool), envtest, packaging (Helm, kustomize), end-to-end (real Prometheus) and in-cluster (real node) tests.
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets ($$($$assets/kube-apiserver --version))"; \
	kcm=$$(hack/tools.sh kube-controller-manager); echo "==> kube-controller-manager: $$kcm"; \
	promtool=$$(hack/tools.sh promtool); echo "==> promtool: $$promtool"; \
	prometheus=$$(hack/tools.sh prometheus); echo "==> prometheus (end-to-end): $$prometheus"; \
	helm=$$(hack/tools.sh helm); echo "==> helm: $$helm"; \
	promop=$$(hack/tools.sh prometheus-operator); echo "==> prometheus-operator (end-to-end): $$promop"; \
	PROMETHEUS_OPERATOR=$$promop HELM=$$helm PROMETHEUS=$$prometheus PROMTOOL=$$promtool PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm go test ./... -count=1 -coverpkg=./api/...,./controllers/...,./internal/... -coverprofile cover.out $(TEST_ARGS)
	@go tool cover -func cover.out | tail -1
	@$(MAKE) --no-print-directory test-incluster

.PHONY: test-incluster
test-incluster: ## The in-cluster suite on a real node (root; builds kubelet, kube-scheduler, kube-proxy; installs containerd, runc, CNI plugins from Debian when missing).
	@hack/tools.sh node-packages >/dev/null; \
	assets=$$(hack/tools.sh envtest); kcm=$$(hack/tools.sh kube-controller-manager); prometheus=$$(hack/tools.sh prometheus); \
	helm=$$(hack/tools.sh helm); node=$$(hack/tools.sh node); echo "==> real node: $$node ($$($$node/kubelet --version))"; \
	promop=$$(hack/tools.sh prometheus-operator); reloader=$$(hack/tools.sh prometheus-config-reloader); crds=$$(hack/tools.sh prometheus-operator-crds); \
	PROMETHEUS_OPERATOR=$$promop PROMETHEUS_CONFIG_RELOADER=$$reloader PROMETHEUS_OPERATOR_CRDS=$$crds \
	NODE_BINARIES=$$node HELM=$$helm PROMETHEUS=$$prometheus KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm \
	go test -tags incluster ./test/incluster/... -count=1 -timeout 30m -v -ginkgo.v $(INCLUSTER_ARGS)

.PHONY: test-envtest
test-envtest: prometheus-operator-crds ## Only the envtest suite, verbose.
	PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$(hack/tools.sh envtest) KUBE_CONTROLLER_MANAGER=$$(hack/tools.sh kube-controller-manager) go test ./test/envtest/... -count=1 -v -ginkgo.v

.PHONY: fuzz
fuzz: ## Fuzz the Antrea conf editor (FUZZTIME=1m).
	go test ./internal/antreaconf -run '^$$' -fuzz FuzzSet -fuzztime $${FUZZTIME:-1m}

.PHONY: bench
bench: ## Benchmarks: the packages' own, decoding 50,000 targets, then the operator's memory against unrelated objects (test/bench: real control plane, runs once). Fails if any fails.
	@assets=$$(hack/tools.sh envtest); echo "==> envtest binaries: $$assets"; rc=0; \
	KUBEBUILDER_ASSETS=$$assets go test $$(go list ./... | grep -v '/test/bench$$') -run '^$$' -bench . -benchmem || rc=1; \
	go test ./test/bench -run '^$$' -bench '^BenchmarkTargets$$' -benchmem -count=1 -v || rc=1; \
	KUBEBUILDER_ASSETS=$$assets go test ./test/bench -run '^$$' -bench '^BenchmarkOperatorMemory$$' -benchtime=1x -timeout 20m -v || rc=1; \
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

.PHONY: test-e2e
test-e2e: prometheus-operator-crds ## End-to-end scrape health with a real Prometheus, a real prometheus-operator and Antrea-like servers.
	@assets=$$(hack/tools.sh envtest); kcm=$$(hack/tools.sh kube-controller-manager); prometheus=$$(hack/tools.sh prometheus); promop=$$(hack/tools.sh prometheus-operator); \
	PROMETHEUS_OPERATOR=$$promop PROMETHEUS_OPERATOR_CRDS=$(PROMETHEUS_OPERATOR_CRDS) KUBEBUILDER_ASSETS=$$assets KUBE_CONTROLLER_MANAGER=$$kcm PROMETHEUS=$$prometheus go test ./test/e2e/... -count=1 -timeout 15m -v -ginkgo.v
