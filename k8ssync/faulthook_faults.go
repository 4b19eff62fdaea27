//go:build hhgate_faults

package k8ssync

import "strings"

// In a hhgate_faults build, syncing a fabric whose name starts with
// "panic-" panics inside the engine.
func init() {
	faultHook = func(name string) {
		if strings.HasPrefix(name, "panic-") {
			panic("injected fault for fabric " + name)
		}
	}
}
