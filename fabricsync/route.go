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
	actionPlan
	actionEvents
)

// route recognises <base>plugins/hedgehog/fabrics/<id>/sync/ and
// …/test-connection/, the plugin's URLs (hedgehog-plugin §2.1), and the
// gateway's own <base>.hhgate/fabrics/<id>/plan (with or without a
// trailing slash) and …/events.
func route(basePath, path string) (action, int) {
	if rest, ok := strings.CutPrefix(path, basePath+".hhgate/fabrics/"); ok {
		switch id, verb := fabricVerb(rest); verb {
		case "plan", "plan/":
			return actionPlan, id
		case "events":
			return actionEvents, id
		}
		return actionNone, 0
	}
	rest, ok := strings.CutPrefix(path, basePath+"plugins/hedgehog/fabrics/")
	if !ok {
		return actionNone, 0
	}
	switch id, verb := fabricVerb(rest); verb {
	case "sync/":
		return actionSync, id
	case "test-connection/":
		return actionTestConnection, id
	}
	return actionNone, 0
}

// fabricVerb splits "<id>/<verb>"; verb is "" unless id is a positive
// decimal fabric id.
func fabricVerb(rest string) (int, string) {
	idText, verb, ok := strings.Cut(rest, "/")
	if !ok || idText == "" || len(idText) > 9 {
		return 0, ""
	}
	for i := 0; i < len(idText); i++ {
		if idText[i] < '0' || idText[i] > '9' {
			return 0, ""
		}
	}
	id, err := strconv.Atoi(idText)
	if err != nil || id <= 0 {
		return 0, ""
	}
	return id, verb
}
