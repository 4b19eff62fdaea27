#!/usr/bin/env bash
# Builds the Kubernetes control plane the tests run through controller-runtime's
# envtest: kube-apiserver and etcd, compiled from the Go module proxy.
#
# The binaries are cached outside the clone, keyed by the Kubernetes, etcd and
# Go versions:
#   ${HHGATE_CACHE:-$HOME/.cache/hhgate}/envtest/k8s-<v>-etcd-<v>-<go>/{kube-apiserver,etcd}
# When both exist, nothing is built. The directory is always the last line on
# stdout (progress goes to stderr), so
#   KUBEBUILDER_ASSETS=$(scripts/build-envtest-bins.sh | tail -1) go test -tags e2e ./...
# works.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` is refused because
# k8s.io/kubernetes' go.mod has replace directives (its staging modules), so the
# build goes through a throwaway wrapper module whose replace list is generated
# from kubernetes' own go.mod: every `k8s.io/<m> => ./staging/...` becomes
# `k8s.io/<m> => k8s.io/<m> v0.<minor>.<patch>`. The wrapper never touches the
# project's go.mod.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.0}"   # the etcd kubernetes $K8S_VERSION pins
export GOTOOLCHAIN=local

GO="${GO:-go}"
go_version="$("$GO" env GOVERSION)"
cache_root="${HHGATE_CACHE:-$HOME/.cache/hhgate}/envtest"
dest="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-$go_version"

have_bins() { [ -x "$dest/kube-apiserver" ] && [ -x "$dest/etcd" ]; }

if have_bins; then
    echo "$dest"
    exit 0
fi

mkdir -p "$cache_root"
# One build at a time per cache: a concurrent caller waits, then finds the result.
exec 9>"$cache_root/.build.lock"
flock 9
if have_bins; then
    echo "$dest"
    exit 0
fi

echo "building kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION for the Kubernetes tests" \
     "(first run only, 7 to 25 minutes on 2 cores, longer while other builds run; cached in $dest)…" >&2
start=$(date +%s)

# Leftovers of interrupted builds (we hold the lock, so none is running).
rm -rf "$cache_root"/.build.??????
work="$(mktemp -d "$cache_root/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
mod="$work/mod"
out="$work/bin"
mkdir -p "$mod" "$out"

# The wrapper is a module of its own: no workspace, no project GOFLAGS.
export GOWORK=off GOFLAGS=-mod=mod

log="$work/build.log"
fail() {
    echo "build-envtest-bins: $1 failed; last lines of the log:" >&2
    tail -n 40 "$log" >&2 || true
    exit 1
}

cd "$mod"
# kubernetes' go.mod, for the replace list.
k8s_gomod="$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>>"$log" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')" || fail "go mod download k8s.io/kubernetes@$K8S_VERSION"
[ -n "$k8s_gomod" ] && [ -f "$k8s_gomod" ] || fail "locating kubernetes@$K8S_VERSION/go.mod"
staging_version="v0.${K8S_VERSION#v1.}"

{
    echo "module kapibuild"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$k8s_gomod" | head -1)"
    echo
    echo "replace ("
    # Inside the `replace (` block: `k8s.io/x => ./staging/src/k8s.io/x`.
    awk -v ver="$staging_version" '
        /^replace[[:space:]]*\(/ { inblock = 1; next }
        inblock && /^\)/         { inblock = 0; next }
        inblock && $2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, ver }
        /^replace[[:space:]]+[^(]/ && $3 == "=>" && $4 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $2, $2, ver }
    ' "$k8s_gomod"
    echo ")"
} >"$mod/go.mod"
n_replace=$(grep -c ' => ' "$mod/go.mod" || true)
[ "$n_replace" -gt 0 ] || fail "generating the replace list from $k8s_gomod"

cat >"$mod/tools.go" <<'EOF'
//go:build tools

package kapibuild

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
EOF

# Package paths, not the module path (the latter leaves go.sum incomplete), and
# etcd pinned (unpinned, it raises grpc/otel/x above kubernetes' pins).
"$GO" get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    >>"$log" 2>&1 || fail "go get"

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
vflags="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
"$GO" build -trimpath -ldflags "-s -w $vflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
    >>"$log" 2>&1 || fail "go build kube-apiserver"
"$GO" build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3 \
    >>"$log" 2>&1 || fail "go build etcd"

"$out/kube-apiserver" --version >>"$log" 2>&1 || fail "kube-apiserver --version"
"$out/etcd" --version >>"$log" 2>&1 || fail "etcd --version"

# Atomic publish: a rename within the cache directory.
rm -rf "$dest.old"
[ -e "$dest" ] && mv -T "$dest" "$dest.old"
mv -T "$out" "$dest"
rm -rf "$dest.old"

echo "built kube-apiserver and etcd in $(( $(date +%s) - start )) s" >&2
echo "$dest"
