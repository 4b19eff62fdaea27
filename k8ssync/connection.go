package k8ssync

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"
	"k8s.io/client-go/discovery"

	"github.com/hhgate/hhgate/k8ssync/kube"
	"github.com/hhgate/hhgate/k8ssync/netbox"
)

// ConnectionResult is the outcome of TestConnection. It marshals to the
// plugin's test-connection answer:
//
//	success: {"success": true, "message": "Connection test successful!", "details": {"cluster_version", "platform", "namespace_access", "namespace"}}
//	failure: {"success": false, "error": "<human text>", "code": "<machine code>"}
type ConnectionResult struct {
	Success bool                 `json:"success"`
	Message string               `json:"message,omitempty"`
	Error   string               `json:"error,omitempty"`
	Code    string               `json:"code,omitempty"`
	Details *kube.ConnectionInfo `json:"details,omitempty"`
	// StatusWritten reports whether connection_status was recorded.
	StatusWritten bool `json:"-"`
}

// TestConnection checks that fabricID's cluster can be synced from: the API
// server answers /version over verified TLS with the fabric's token, and
// the token may list a Hedgehog kind in the fabric's namespace. It records
// connection_status ("connected" or "error") and connection_error on the
// fabric, like the plugin's test-connection view, on a context of its own.
//
// Unlike the plugin it does not list namespaces: that needs a
// cluster-scoped permission the sync never uses.
func (e *Engine) TestConnection(ctx context.Context, fabricID int) (res ConnectionResult) {
	var red redactor
	red.add(e.o.NetBoxToken)
	fabricKnown := false
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("test connection panicked", zap.Int("fabric", fabricID), zap.Any("panic", p),
				zap.ByteString("stack", debug.Stack()))
			res = ConnectionResult{Error: fmt.Sprintf("Internal error: panic: %v", p), Code: CodeInternal}
		}
		res.Error = red.clean(res.Error)
		if fabricKnown {
			res.StatusWritten = e.recordConnection(ctx, fabricID, res, &red)
		}
	}()
	testCtx, cancel := context.WithTimeout(ctx, e.o.KubeRequestTimeout*2)
	defer cancel()

	f, failed := e.fabricToTest(testCtx, fabricID)
	if failed != nil {
		return *failed
	}
	fabricKnown = true
	red.add(f.KubernetesToken)
	red.add(f.KubernetesCACert)
	return e.probeCluster(testCtx, f)
}

// fabricToTest reads the fabric's connection settings from NetBox.
func (e *Engine) fabricToTest(ctx context.Context, fabricID int) (netbox.Fabric, *ConnectionResult) {
	f, err := e.netbox.GetFabric(ctx, fabricID)
	if err == nil {
		return f, nil
	}
	if netbox.IsNotFound(err) {
		return f, &ConnectionResult{Error: fmt.Sprintf("Fabric %d not found", fabricID), Code: CodeFabricNotFound}
	}
	code := CodeNetBoxUnavailable
	var h *netbox.HTTPError
	if errors.As(err, &h) && (h.Status == 401 || h.Status == 403) {
		code = CodeNetBoxForbidden
	}
	return f, &ConnectionResult{Error: fmt.Sprintf("Cannot read fabric %d from NetBox: %v", fabricID, err), Code: code}
}

// probeCluster asks the fabric's API server for /version and lists a
// Hedgehog kind in the fabric's namespace.
func (e *Engine) probeCluster(ctx context.Context, f netbox.Fabric) ConnectionResult {
	restCfg, err := kube.RESTConfig(kube.Config{
		Server:                f.KubernetesServer,
		Token:                 f.KubernetesToken,
		CACert:                f.KubernetesCACert,
		InsecureSkipTLSVerify: e.o.InsecureSkipTLSVerify,
		Timeout:               e.o.KubeRequestTimeout,
		UserAgent:             e.o.UserAgent,
	})
	if err != nil {
		code := CodeFabricNotConfigured
		if errors.Is(err, kube.ErrInvalidCA) {
			code = CodeKubernetesTLS
		}
		return ConnectionResult{Error: "Connection test failed: " + err.Error(), Code: code}
	}
	client, err := e.o.NewDynamicClient(restCfg)
	if err != nil {
		return ConnectionResult{Error: "Connection test failed: " + err.Error(), Code: CodeKubernetesUnreachable}
	}
	disco, err := discovery.NewDiscoveryClientForConfig(restCfg)
	if err != nil {
		return ConnectionResult{Error: "Connection test failed: " + err.Error(), Code: CodeKubernetesUnreachable}
	}
	reader := kube.NewReader(client, f.KubernetesNamespace, kube.ReaderOptions{Logger: e.log.Named("kube")})
	info, class, err := reader.TestConnection(ctx, disco)
	if err != nil {
		return ConnectionResult{Error: "Connection test failed: " + err.Error(), Code: connectionCode(class), Details: &info}
	}
	return ConnectionResult{Success: true, Message: "Connection test successful!", Details: &info}
}

// recordConnection writes connection_status and connection_error for res
// on a context of its own, and reports whether it could.
func (e *Engine) recordConnection(ctx context.Context, fabricID int, res ConnectionResult, red *redactor) bool {
	status := netbox.FabricStatus{ConnectionStatus: ptr(netbox.ConnectionConnected), ConnectionError: ptr("")}
	if !res.Success {
		status = netbox.FabricStatus{ConnectionStatus: ptr(netbox.ConnectionError), ConnectionError: ptr(clip(res.Error))}
	}
	sctx, cancel := e.statusContext(ctx)
	defer cancel()
	if err := e.netbox.PatchFabric(sctx, fabricID, status); err != nil {
		e.log.Warn("cannot record connection status", zap.Int("fabric", fabricID), zap.String("error", red.clean(err.Error())))
		return false
	}
	return true
}

// connectionCode maps a failed test's class to a Result code.
func connectionCode(c kube.Class) string {
	switch c {
	case kube.ClassTLS:
		return CodeKubernetesTLS
	case kube.ClassUnauthorized:
		return CodeKubernetesUnauthorized
	case kube.ClassNotFound:
		return CodeCRDsNotInstalled
	case kube.ClassForbidden:
		return CodeKubernetesForbidden
	case kube.ClassCanceled:
		return CodeCancelled
	case kube.ClassTimeout:
		return CodeTimeout
	}
	return CodeKubernetesUnreachable
}
