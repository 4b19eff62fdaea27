//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/hhgate/hhgate/testenv/kube"
)

// TestMain stops the Kubernetes API server that the sync tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	kube.StopShared()
	os.Exit(code)
}
