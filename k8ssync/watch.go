package k8ssync

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// What the fabric controller needs from the engine: every fabric's
// configuration, watches on its cluster, and the out_of_sync status.

// FabricConfigs lists every fabric with its cluster credentials and sync
// settings (service token). Callers must not log the result's secrets
// (netbox.Fabric's String, JSON and zap forms leave them out).
func (e *Engine) FabricConfigs(ctx context.Context) ([]netbox.FabricConfig, error) {
	return e.netbox.ListFabricConfigs(ctx)
}

// MarkOutOfSync writes sync_status "out_of_sync" and nothing else: the
// cluster changed since the last sync. The caller holds the fabric's lock.
func (e *Engine) MarkOutOfSync(ctx context.Context, id int) error {
	if err := e.netbox.PatchFabric(ctx, id, netbox.FabricStatus{SyncStatus: ptr(netbox.SyncOutOfSync)}); err != nil {
		return fmt.Errorf("fabric %d: write out_of_sync: %w", id, err)
	}
	return nil
}

// WatchNotify receives the events of a fabric's watches.
type WatchNotify func(k kinds.Kind, ev kube.WatchEvent, err error)

// WatchFabric watches the twelve kinds of fabric f's namespace with f's
// own token and the metadata client (one watch per kind; names and
// versions only) until ctx ends, and blocks until every watch has
// stopped. It fails at once when f's cluster configuration cannot work
// (no server, a CA that is not PEM); the error never holds a secret.
func (e *Engine) WatchFabric(ctx context.Context, f netbox.Fabric, notify WatchNotify) error {
	cfg, err := kube.RESTConfig(kube.Config{
		Server:                f.KubernetesServer,
		Token:                 f.KubernetesToken,
		CACert:                f.KubernetesCACert,
		InsecureSkipTLSVerify: e.o.InsecureSkipTLSVerify,
		UserAgent:             e.o.UserAgent,
	})
	if err != nil {
		return fmt.Errorf("fabric %d: %w", f.ID, err)
	}
	// No client timeout: it would end every watch after it. Lists have
	// their own bound (kube.WatchOptions.ListTimeout).
	cfg.Timeout = 0
	client, err := e.newMetadataClient(cfg)
	if err != nil {
		var red redactor
		red.add(f.KubernetesToken)
		return fmt.Errorf("fabric %d: metadata client: %s", f.ID, red.clean(err.Error()))
	}
	log := e.log.Named("watch").With(zap.Int("fabric", f.ID))
	var wg sync.WaitGroup
	for _, k := range kinds.All {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kube.WatchKind(ctx, client, f.KubernetesNamespace, k, kube.WatchOptions{
				Notify: notify, PageSize: e.o.PageSize, ListTimeout: e.o.KubeRequestTimeout, Logger: log,
			})
		}()
	}
	wg.Wait()
	return nil
}

func (e *Engine) newMetadataClient(cfg *rest.Config) (metadata.Interface, error) {
	if e.o.NewMetadataClient != nil {
		return e.o.NewMetadataClient(cfg)
	}
	return metadata.NewForConfig(cfg)
}
