package fabricsync

import (
	"strconv"
	"strings"
)

// action is what a plugin URL asks for.
type action uint8

const (
	actionNone action = iota
	actionSync
	actionTestConnection
)

// route recognises <base>plugins/hedgehog/fabrics/<id>/sync/ and
// …/test-connection/, the plugin's URLs (hedgehog-plugin §2.1).
func route(basePath, path string) (action, int) {
	rest, ok := strings.CutPrefix(path, basePath+"plugins/hedgehog/fabrics/")
	if !ok {
		return actionNone, 0
	}
	idText, verb, ok := strings.Cut(rest, "/")
	if !ok || idText == "" || len(idText) > 9 {
		return actionNone, 0
	}
	for i := 0; i < len(idText); i++ {
		if idText[i] < '0' || idText[i] > '9' {
			return actionNone, 0
		}
	}
	id, err := strconv.Atoi(idText)
	if err != nil || id <= 0 {
		return actionNone, 0
	}
	switch verb {
	case "sync/":
		return actionSync, id
	case "test-connection/":
		return actionTestConnection, id
	}
	return actionNone, 0
}
