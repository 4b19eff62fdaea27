package kube

import (
	"strings"
	"testing"
)

// TestStartWithoutBinariesFailsWithHint needs no control plane: start refuses
// before launching anything.
func TestStartWithoutBinariesFailsWithHint(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", "")
	if _, err := start(); err == nil || !strings.Contains(err.Error(), "make test") {
		t.Errorf("start without KUBEBUILDER_ASSETS: %v", err)
	}
	t.Setenv("KUBEBUILDER_ASSETS", t.TempDir())
	if _, err := start(); err == nil || !strings.Contains(err.Error(), "no executable kube-apiserver") {
		t.Errorf("start with an empty KUBEBUILDER_ASSETS: %v", err)
	}
}
