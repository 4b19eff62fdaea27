package kube

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// ServerVersioner is the part of client-go's discovery client that
// TestConnection uses (*discovery.DiscoveryClient satisfies it).
type ServerVersioner interface {
	ServerVersionWithContext(ctx context.Context) (*version.Info, error)
}

// ConnectionInfo is what a successful connection test learned. The JSON
// names are those of the plugin's test-connection answer ("details").
type ConnectionInfo struct {
	ClusterVersion string `json:"cluster_version"`
	Platform       string `json:"platform"`
	Namespace      string `json:"namespace"`
	// NamespaceAccess is true when the token may list the synced kinds in
	// Namespace.
	NamespaceAccess bool `json:"namespace_access"`
	// CheckedKind is the kind whose list proved the access ("" when none of
	// the kinds is installed).
	CheckedKind string `json:"checked_kind,omitempty"`
}

// TestConnection checks what a sync needs and nothing more: the API server
// answers /version (reachability, TLS, token), and the token may list a
// synced kind in the fabric's namespace (one item, limit=1).
//
// The plugin lists namespaces instead, which needs a cluster-scoped
// permission that a sync never uses; a token bound to a namespaced Role
// that allows exactly the twelve kinds passes this test and syncs.
//
// Kinds are tried in order until one is served; if none is (all 404), the
// connection is fine but nothing can be synced, which is reported as an
// error of class ClassNotFound.
func (r *Reader) TestConnection(ctx context.Context, versions ServerVersioner) (ConnectionInfo, Class, error) {
	info := ConnectionInfo{Namespace: r.namespace}
	v, err := versions.ServerVersionWithContext(ctx)
	if err != nil {
		return info, Classify(err), fmt.Errorf("get /version: %w", err)
	}
	info.ClusterVersion, info.Platform = v.GitVersion, v.Platform
	for _, k := range kinds.All {
		_, err := r.client.Resource(k.GVR()).Namespace(r.namespace).List(ctx, metav1.ListOptions{Limit: 1})
		class := Classify(err)
		if class == ClassNotFound {
			continue
		}
		if err != nil {
			return info, class, fmt.Errorf("%s: %w", r.what(k), err)
		}
		info.NamespaceAccess, info.CheckedKind = true, k.Kind
		return info, ClassNone, nil
	}
	return info, ClassNotFound, fmt.Errorf("none of the %d Hedgehog kinds is served by the API server (are the Hedgehog CRDs installed?)", len(kinds.All))
}
