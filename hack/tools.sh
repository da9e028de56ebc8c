#!/usr/bin/env bash
# hack/tools.sh: installs the project's pinned tools into bin/, idempotently.
#
#   hack/tools.sh envtest          # prints the KUBEBUILDER_ASSETS folder (kube-apiserver + etcd)
#   hack/tools.sh kube-controller-manager  # garbage collector, token and namespace controllers for envtest
#   hack/tools.sh controller-gen   # bin/controller-gen
#   hack/tools.sh golangci-lint    # bin/golangci-lint
#   hack/tools.sh promtool         # bin/promtool
#   hack/tools.sh prometheus       # bin/prometheus (for the end-to-end test and make demo)
#   hack/tools.sh helm             # bin/helm (chart lint and template tests)
#   hack/tools.sh prometheus-operator      # bin/prometheus-operator (end-to-end tests)
#   hack/tools.sh prometheus-operator-crds # its CRDs, generated from the same version
#   hack/tools.sh prometheus-operator-crds-min # the CRDs of the oldest supported release (skew tests)
#   hack/tools.sh prometheus-operator-crds-old # the CRDs of a release too old (too-old tests)
#   hack/tools.sh node             # kubelet, kube-scheduler, kube-proxy (real-node tier); prints their folder
#   hack/tools.sh node-packages    # containerd, runc, CNI plugins, nftables from Debian when missing
#
# Built binaries are cached outside the clone, keyed by tool and version, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/antrea-monitoring-operator, and linked into
# bin/, so a fresh clone on a machine that built them once starts at once.
# Progress goes to stderr; stdout carries only the answer (a path).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/bin"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/antrea-monitoring-operator"
GOOS=$(go env GOOS)
GOARCH=$(go env GOARCH)

K8S_VERSION=1.37.2
ETCD_VERSION=3.7.3
CONTROLLER_GEN_VERSION=v0.23.0
GOLANGCI_LINT_VERSION=v2.15.0
# Prometheus 3.16.0 (module versions are v0.3xx.y); promtool checks the rendered configs.
PROMETHEUS_VERSION=v0.316.0
HELM_VERSION=v3.22.0
# The newest prometheus-operator whose pkg/client the module proxy serves.
PROMETHEUS_OPERATOR_VERSION=v0.93.1
# The oldest prometheus-operator the operator supports (docs/modes/
# prometheus-operator.md): its CRDs, generated from its pkg/apis, are what
# the skew tests apply the operator's objects to.
PROMETHEUS_OPERATOR_MIN_VERSION=v0.75.0
# A release older than that: the operator must refuse it (ScrapeConfigured
# False, PrometheusOperatorTooOld) and apply nothing. v0.74.0 is the release
# just before the minimum: its ScrapeConfig CRD lacks spec.jobName (0.75),
# which useScrapeConfig writes, while its ServiceMonitor and PodMonitor take
# every field the monitors write (the newest, authorization, is 0.50).
PROMETHEUS_OPERATOR_OLD_VERSION=v0.74.0
# Alertmanager: the end-to-end suites deliver the shipped alerts to a real one.
ALERTMANAGER_VERSION=v0.34.1

log() { printf '==> %s\n' "$*" >&2; }

# link_into_bin SRC DST: make bin/DST point at a cached file or folder.
link_into_bin() {
  mkdir -p "$(dirname "$2")"
  ln -sfn "$1" "$2"
}

# go_install NAME PKG VERSION: go install a pinned tool into the cache, link bin/NAME.
go_install() {
  local name=$1 pkg=$2 version=$3
  local dir="$CACHE/$name/$version-$GOOS-$GOARCH"
  if [ ! -x "$dir/$name" ]; then
    log "Installing $name $version (go install, first time only)..."
    mkdir -p "$dir"
    GOBIN="$dir" CGO_ENABLED=0 go install "$pkg@$version" >&2
  fi
  link_into_bin "$dir/$name" "$BIN/$name"
  echo "$BIN/$name"
}

# build_k8s DIR CMD...: builds Kubernetes commands (kube-apiserver,
# kube-controller-manager) from the k8s.io/kubernetes module into DIR.
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` is refused because the
# module replaces its staging modules with local paths; a throwaway module that
# pins each staging module to its published v0.x version builds them.
build_k8s() {
  local out=$1; shift
  local work="$CACHE/build/kubernetes-$K8S_VERSION"
  mkdir -p "$work"
  log "Building $* v$K8S_VERSION from the Go module proxy (kube-apiserver: about 10-15 min on 2 cores, kube-controller-manager: 3-6 min more; once)..."
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  # The module is written and tidied once, with every command in tools.go
  # (or a later build fails with "missing go.sum entry"); a module made for
  # fewer commands is made again. Writing go.mod again without tidying would
  # fail the next build with "updates to go.mod needed".
  if ! grep -q kubelet "$work/.tidied" 2>/dev/null; then
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    {
      echo "module build.local/kubernetes"
      echo
      echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
      echo
      echo "require k8s.io/kubernetes v$K8S_VERSION"
      echo
      # every staging module kubernetes requires at v0.0.0 -> its published version
      grep -E '^\s+k8s\.io/[a-z0-9-]+ v0\.0\.0(\s|$)' "$gomod" | awk -v v="v0.$minor.${K8S_VERSION##*.}" '{print "replace " $1 " => " $1 " " v}'
    } >"$work/go.mod"
    cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
    rm -f "$work/go.sum"
    (cd "$work" && go mod tidy >&2)
    echo "kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubelet" >"$work/.tidied"
  fi
  local pkgver=k8s.io/component-base/version cmd
  for cmd in "$@"; do
    log "Building $cmd..."
    (cd "$work" && CGO_ENABLED=0 go build -tags tools -trimpath \
      -ldflags "-s -w -X $pkgver.gitVersion=v$K8S_VERSION -X $pkgver.gitMajor=${K8S_VERSION%%.*} -X $pkgver.gitMinor=$minor" \
      -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2)
    mv "$out/$cmd.tmp" "$out/$cmd"
  done
}

# build_etcd DIR: builds etcd the same way (server/v3 replaces its siblings with ../x).
build_etcd() {
  local out=$1 work="$CACHE/build/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  log "Building etcd v$ETCD_VERSION from the Go module proxy (about 1-3 min, once)..."
  cat >"$work/go.mod" <<MOD
module build.local/etcd

go 1.26

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 v$ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 v$ETCD_VERSION
)
MOD
  cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
GO
  (cd "$work" && go mod tidy >&2)
  (cd "$work" && CGO_ENABLED=0 go build -tags tools -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3 >&2)
  mv "$out/etcd.tmp" "$out/etcd"
}

# try_download DIR: setup-envtest's normal source, with a short timeout so a
# closed network fails in seconds instead of hanging.
try_download() {
  local out=$1
  local url="https://github.com/kubernetes-sigs/controller-tools/releases/download/envtest-v$K8S_VERSION/envtest-v$K8S_VERSION-$GOOS-$GOARCH.tar.gz"
  command -v curl >/dev/null || return 1
  log "Trying the envtest release download ($url)..."
  local tmp
  tmp=$(mktemp -d)
  if curl -fsSL --connect-timeout 5 --max-time 120 "$url" -o "$tmp/envtest.tgz" 2>/dev/null &&
    tar -xzf "$tmp/envtest.tgz" -C "$tmp" &&
    [ -x "$tmp/controller-tools/envtest/kube-apiserver" ]; then
    cp "$tmp/controller-tools/envtest/kube-apiserver" "$tmp/controller-tools/envtest/etcd" "$out/"
    rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  log "Download unavailable; building from source instead."
  return 1
}

envtest_assets() {
  # 1. binaries the user already has
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
    echo "$KUBEBUILDER_ASSETS"
    return
  fi
  # ... or on PATH, side by side
  local onpath
  if onpath=$(command -v kube-apiserver) && [ -x "$(dirname "$onpath")/etcd" ]; then
    log "Using kube-apiserver and etcd from PATH ($(dirname "$onpath"))"
    echo "$(dirname "$onpath")"
    return
  fi
  local dir="$CACHE/k8s/$K8S_VERSION-$GOOS-$GOARCH"
  mkdir -p "$dir"
  if [ ! -x "$dir/kube-apiserver" ] || [ ! -x "$dir/etcd" ]; then
    # 2. the normal download, 3. the source build
    if ! try_download "$dir"; then
      [ -x "$dir/kube-apiserver" ] || build_k8s "$dir" kube-apiserver
      [ -x "$dir/etcd" ] || build_etcd "$dir"
    fi
  fi
  link_into_bin "$dir" "$BIN/k8s/$K8S_VERSION-$GOOS-$GOARCH"
  echo "$BIN/k8s/$K8S_VERSION-$GOOS-$GOARCH"
}

# kube_controller_manager: the garbage collector, ServiceAccount token and
# namespace controllers that envtest lacks. No release download exists for it,
# so it is built from source (or taken from PATH / KUBEBUILDER_ASSETS).
kube_controller_manager() {
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]; then
    echo "$KUBEBUILDER_ASSETS/kube-controller-manager"
    return
  fi
  local onpath
  if onpath=$(command -v kube-controller-manager); then
    log "Using kube-controller-manager from PATH ($onpath)"
    echo "$onpath"
    return
  fi
  local dir="$CACHE/k8s/$K8S_VERSION-$GOOS-$GOARCH"
  mkdir -p "$dir"
  [ -x "$dir/kube-controller-manager" ] || build_k8s "$dir" kube-controller-manager
  link_into_bin "$dir/kube-controller-manager" "$BIN/kube-controller-manager"
  echo "$BIN/kube-controller-manager"
}

# prometheus_operator_module: a throwaway module that pins prometheus-operator
# and its two sub-modules to one version (the main module's go.mod asks for
# newer sub-modules than the proxy serves) and the Google Cloud module that
# its dependencies otherwise resolve ambiguously.
prometheus_operator_module() {
  local work="$CACHE/build/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
  mkdir -p "$work"
  # A module made before the config reloader was added is made again.
  if [ ! -f "$work/go.sum" ] || ! grep -q prometheus-config-reloader "$work/tools.go"; then
    local v=$PROMETHEUS_OPERATOR_VERSION m=github.com/prometheus-operator/prometheus-operator
    cat >"$work/go.mod" <<MOD
module build.local/prometheus-operator

go 1.26

require $m $v

replace (
	$m/pkg/apis/monitoring => $m/pkg/apis/monitoring $v
	$m/pkg/client => $m/pkg/client $v
	cloud.google.com/go => cloud.google.com/go v0.123.0
)
MOD
    cat >"$work/tools.go" <<GO
//go:build tools

package tools

import (
	_ "$m/cmd/operator"
	_ "$m/cmd/prometheus-config-reloader"
	_ "$m/pkg/apis/monitoring/v1"
	_ "$m/pkg/apis/monitoring/v1alpha1"
	_ "$m/pkg/apis/monitoring/v1beta1"
)
GO
    (cd "$work" && go mod tidy >&2)
  fi
  echo "$work"
}

# prometheus_operator_cmd NAME CMD WHAT: builds prometheus-operator's command
# cmd/CMD from its module as NAME (cached by version), links it into bin/
# and prints its path.
prometheus_operator_cmd() {
  local name=$1 cmd=$2 what=$3
  local dir="$CACHE/prometheus-operator/$PROMETHEUS_OPERATOR_VERSION-$GOOS-$GOARCH"
  if [ ! -x "$dir/$name" ]; then
    log "Building $name $PROMETHEUS_OPERATOR_VERSION ($what)..."
    local work
    work=$(prometheus_operator_module)
    mkdir -p "$dir"
    (cd "$work" && CGO_ENABLED=0 go build -tags tools -trimpath -ldflags "-s -w" \
      -o "$dir/$name.tmp" "github.com/prometheus-operator/prometheus-operator/cmd/$cmd" >&2)
    mv "$dir/$name.tmp" "$dir/$name"
  fi
  link_into_bin "$dir/$name" "$BIN/$name"
  echo "$BIN/$name"
}

# alertmanager: the real Alertmanager, built from its module (about 80 s
# on 2 cores, once). `go install` is refused: the module embeds its web UI
# from ui/app/dist, which npm builds and the module does not ship; a copy of
# the module with a one-page placeholder UI builds the same binary and API.
alertmanager() {
  local dir="$CACHE/alertmanager/$ALERTMANAGER_VERSION-$GOOS-$GOARCH"
  if [ ! -x "$dir/alertmanager" ]; then
    log "Building alertmanager $ALERTMANAGER_VERSION from the Go module proxy (about 80 s on 2 cores, once)..."
    local src work="$CACHE/build/alertmanager-$ALERTMANAGER_VERSION"
    src=$(go mod download -json "github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    rm -rf "$work" && mkdir -p "$(dirname "$work")" "$dir"
    cp -r "$src" "$work" && chmod -R u+w "$work"
    mkdir -p "$work/ui/app/dist"
    echo '<!doctype html><title>Alertmanager (API only: built without its web UI)</title>' >"$work/ui/app/dist/index.html"
    (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/alertmanager.tmp" ./cmd/alertmanager >&2)
    mv "$dir/alertmanager.tmp" "$dir/alertmanager"
    rm -rf "$work"
  fi
  link_into_bin "$dir/alertmanager" "$BIN/alertmanager"
  echo "$BIN/alertmanager"
}

# prometheus_operator: the real operator that turns monitors into Prometheus
# configuration, built from source (about 12 min cold on 2 cores, once).
prometheus_operator() {
  prometheus_operator_cmd prometheus-operator operator "from the Go module proxy, about 10-15 min on 2 cores, once"
}

# prometheus_config_reloader: the sidecar prometheus-operator puts in its
# Prometheus pods, from the same module (the in-cluster suite runs it as an
# image); about 15 s once prometheus-operator is built.
prometheus_config_reloader() {
  prometheus_operator_cmd prometheus-config-reloader prometheus-config-reloader "about 15 s once prometheus-operator is built"
}

# prometheus_operator_crds: the CRDs of the same version as the binary, so the
# schema the tests install is the one the real operator reads.
prometheus_operator_crds() {
  local dir="$CACHE/prometheus-operator/$PROMETHEUS_OPERATOR_VERSION-crds"
  # Released CRDs carry operator.prometheus.io/version; the operator reads
  # it (a field a CRD version lacks is not written). A cache made before
  # the annotation was added is regenerated.
  local version=${PROMETHEUS_OPERATOR_VERSION#v}
  if ! grep -q "operator.prometheus.io/version: $version" "$dir/monitoring.coreos.com_prometheuses.yaml" 2>/dev/null; then
    log "Generating prometheus-operator $PROMETHEUS_OPERATOR_VERSION CRDs..."
    local work cg
    work=$(prometheus_operator_module)
    cg=$(go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION")
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$work" && "$cg" crd:crdVersions=v1,maxDescLen=0 paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/... output:crd:dir="$dir.tmp" >&2)
    sed -i "s|^    controller-gen.kubebuilder.io/version: .*|&\n    operator.prometheus.io/version: $version|" "$dir.tmp"/*.yaml
    grep -q "operator.prometheus.io/version: $version" "$dir.tmp/monitoring.coreos.com_prometheuses.yaml" || { log "Could not annotate the CRDs with their version"; exit 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  # an older Makefile generated a real folder here; a link replaces it
  [ -L "$BIN/crds/monitoring.coreos.com" ] || rm -rf "$BIN/crds/monitoring.coreos.com"
  link_into_bin "$dir" "$BIN/crds/monitoring.coreos.com"
  echo "$BIN/crds/monitoring.coreos.com"
}

# prometheus_operator_crds_at VERSION WHAT: the CRDs of prometheus-operator
# VERSION, generated from its pkg/apis module alone with controller-gen and
# annotated with operator.prometheus.io/version as released CRDs are
# (cached by version, about 30-60 s once); prints their folder.
prometheus_operator_crds_at() {
  local v=$1 what=$2 m=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
  local dir="$CACHE/prometheus-operator/$v-crds" work="$CACHE/build/prometheus-operator-apis-$v"
  if [ ! -f "$dir/monitoring.coreos.com_servicemonitors.yaml" ]; then
    log "Generating prometheus-operator $v CRDs ($what)..."
    mkdir -p "$work"
    printf 'module build.local/prometheus-operator-apis\n\ngo 1.26\n\nrequire %s %s\n' "$m" "$v" >"$work/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "%s/v1"\n\t_ "%s/v1alpha1"\n\t_ "%s/v1beta1"\n)\n' "$m" "$m" "$m" >"$work/tools.go"
    (cd "$work" && go mod tidy >&2)
    local cg
    cg=$(go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION")
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$work" && "$cg" crd:crdVersions=v1,maxDescLen=0 paths="$m/..." output:crd:dir="$dir.tmp" >&2)
    sed -i "s|^    controller-gen.kubebuilder.io/version: .*|&\n    operator.prometheus.io/version: ${v#v}|" "$dir.tmp"/*.yaml
    grep -q "operator.prometheus.io/version: ${v#v}" "$dir.tmp/monitoring.coreos.com_servicemonitors.yaml" || { log "Could not annotate the $v CRDs with their version"; exit 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# node_binaries: kubelet, kube-scheduler and kube-proxy for the real-node
# tier (test/incluster), built like kube-apiserver; prints their folder.
node_binaries() {
  local dir="$CACHE/k8s/$K8S_VERSION-$GOOS-$GOARCH-node"
  mkdir -p "$dir"
  local missing=() cmd
  for cmd in kubelet kube-scheduler kube-proxy; do
    [ -x "$dir/$cmd" ] || missing+=("$cmd")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "Building ${missing[*]} for the real node (kubelet about 1-3 min once kube-apiserver is built; the others under 30 s)..."
    build_k8s "$dir" "${missing[@]}"
  fi
  link_into_bin "$dir" "$BIN/node"
  echo "$BIN/node"
}

# node_packages: containerd, runc, the CNI plugins and nftables from Debian
# when missing (about 30 s); prints the CNI plugin folder.
node_packages() {
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v nft >/dev/null || need+=(nftables)
  command -v iptables >/dev/null || need+=(iptables)
  command -v unshare >/dev/null || need+=(util-linux)
  command -v ip >/dev/null || need+=(iproute2)
  if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "The real node needs ${need[*]}: install them as root (apt-get install ${need[*]})"; exit 1; }
    log "Installing ${need[*]} from Debian (about 30 s, once)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >&2
  fi
  echo /usr/lib/cni
}

case "${1:-}" in
envtest) envtest_assets ;;
node) node_binaries ;;
node-packages) node_packages ;;
kube-controller-manager) kube_controller_manager ;;
controller-gen) go_install controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$CONTROLLER_GEN_VERSION" ;;
golangci-lint) go_install golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION" ;;
promtool) go_install promtool github.com/prometheus/prometheus/cmd/promtool "$PROMETHEUS_VERSION" ;;
prometheus) go_install prometheus github.com/prometheus/prometheus/cmd/prometheus "$PROMETHEUS_VERSION" ;;
helm) go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
prometheus-operator) prometheus_operator ;;
prometheus-config-reloader) prometheus_config_reloader ;;
prometheus-operator-crds) prometheus_operator_crds ;;
prometheus-operator-crds-min) prometheus_operator_crds_at "$PROMETHEUS_OPERATOR_MIN_VERSION" "the oldest supported" ;;
prometheus-operator-crds-old) prometheus_operator_crds_at "$PROMETHEUS_OPERATOR_OLD_VERSION" "older than supported, for the too-old tests" ;;
alertmanager) alertmanager ;;
*)
  echo "usage: $0 envtest|node|node-packages|kube-controller-manager|controller-gen|golangci-lint|promtool|prometheus|helm|prometheus-operator|prometheus-config-reloader|prometheus-operator-crds|prometheus-operator-crds-min|prometheus-operator-crds-old|alertmanager" >&2
  exit 2
  ;;
esac
