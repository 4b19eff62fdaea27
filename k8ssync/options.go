package k8ssync

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// Options configure an Engine. Zero values pick the defaults.
type Options struct {
	// NetBoxURL is NetBox's base URL (required).
	NetBoxURL string
	// NetBoxToken is the service token the sync reads and writes with
	// (required). It needs view on fabrics and add/change/delete on the
	// twelve CRD models. Secret: never logged or returned.
	NetBoxToken string
	// NetBoxAuthScheme is "Token" or "Bearer"; empty picks Bearer for
	// NetBox v2 tokens ("nbt_...") and Token otherwise.
	NetBoxAuthScheme string
	// Prune deletes NetBox objects whose custom resource is gone (only for
	// kinds listed completely). Nil means true.
	Prune *bool
	// MaxPrune caps pruning: a sync that would delete more than MaxPrune
	// percent of the objects NetBox holds for a fabric of one kind deletes
	// none of that kind and reports prune_held. 100 turns the check off.
	// Nil means DefaultMaxPrune (50); 0 holds every deletion.
	MaxPrune *int
	// BatchSize is the most objects per NetBox bulk request; default
	// netbox.DefaultBatchSize (250).
	BatchSize int
	// PageSize is the Kubernetes list page size (limit); default 500.
	PageSize int64
	// NetBoxPageSize is the NetBox list page size; default 1000.
	NetBoxPageSize int
	// Timeout bounds one whole sync; default 5 minutes.
	Timeout time.Duration
	// StatusTimeout bounds the final fabric status write, which runs on its
	// own context so that it happens even after Timeout or a cancelled
	// caller; default 15 seconds.
	StatusTimeout time.Duration
	// KubeRequestTimeout bounds one request to the API server; default 30s.
	KubeRequestTimeout time.Duration
	// InsecureSkipTLSVerify turns off verification of the Kubernetes API
	// server's certificate for every fabric. Off by default; a fabric
	// without a CA is verified against the system roots, never skipped.
	InsecureSkipTLSVerify bool
	// HTTPClient sends the NetBox requests; default a plain client.
	HTTPClient *http.Client
	// Retry bounds the NetBox retries; see netbox.RetryPolicy.
	Retry netbox.RetryPolicy
	// Logger receives one line per sync and warnings; default none.
	Logger *zap.Logger
	// Now is the clock (last_sync, last_synced, durations); default time.Now.
	Now func() time.Time
	// NewDynamicClient builds the Kubernetes client from a fabric's config;
	// default dynamic.NewForConfig. Tests inject fakes here.
	NewDynamicClient func(*rest.Config) (dynamic.Interface, error)
	// NewMetadataClient builds the watches' client from a fabric's
	// config; default metadata.NewForConfig. Tests inject fakes here.
	NewMetadataClient func(*rest.Config) (metadata.Interface, error)
	// UserAgent is sent to the API server; default "hhgate-fabric-sync".
	UserAgent string
	// FullCompareEvery is the longest a kind of a fabric is counted
	// unchanged on its change marks alone (marks.go) before it is compared
	// in full again; 0 picks DefaultFullCompareEvery (1h), a negative
	// value turns change marks off (every sync compares in full).
	FullCompareEvery time.Duration
	// ObserveNetBox is told about every NetBox request and retry
	// (metrics); optional.
	ObserveNetBox netbox.Observer
}

// Bool returns a pointer to b, for Options.Prune.
func Bool(b bool) *bool { return &b }

func (o Options) withDefaults() (Options, error) {
	if o.NetBoxURL == "" {
		return o, errors.New("k8ssync: NetBoxURL is required")
	}
	if o.NetBoxToken == "" {
		return o, errors.New("k8ssync: NetBoxToken is required")
	}
	if o.Prune == nil {
		o.Prune = Bool(true)
	}
	if o.MaxPrune == nil {
		o.MaxPrune = ptr(DefaultMaxPrune)
	}
	if *o.MaxPrune < 0 || *o.MaxPrune > 100 {
		return o, fmt.Errorf("k8ssync: MaxPrune %d must be between 0 and 100 (percent)", *o.MaxPrune)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = netbox.DefaultBatchSize
	}
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.NetBoxPageSize <= 0 {
		o.NetBoxPageSize = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = 15 * time.Second
	}
	if o.KubeRequestTimeout <= 0 {
		o.KubeRequestTimeout = 30 * time.Second
	}
	if o.FullCompareEvery == 0 {
		o.FullCompareEvery = DefaultFullCompareEvery
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewDynamicClient == nil {
		o.NewDynamicClient = func(c *rest.Config) (dynamic.Interface, error) { return dynamic.NewForConfig(c) }
	}
	if o.UserAgent == "" {
		o.UserAgent = "hhgate-fabric-sync"
	}
	return o, nil
}
