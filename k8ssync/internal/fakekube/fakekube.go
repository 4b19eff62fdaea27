// Package fakekube is a minimal Kubernetes API server for tests: TLS,
// bearer tokens, /version, and namespaced lists of the Hedgehog kinds (and
// of Agents, see AddAgent) with
// limit/continue pagination. Faults are switched per resource: not
// installed (404), forbidden (403), a status code, an expired continue
// token (410), or the whole server going away.
package fakekube

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hhgate/hhgate/internal/testca"
	"github.com/hhgate/hhgate/k8ssync/kinds"
)

// Server is the fake API server. Configure its fields before use; change
// them later only through the methods (they lock).
type Server struct {
	*httptest.Server
	// CAPEM is the PEM of the certificate the server presents (self-signed,
	// so it is its own CA).
	CAPEM string

	mu             sync.Mutex
	token          string
	items          map[string][]map[string]any // by resource plural
	notInstalled   map[string]bool
	forbidden      map[string]bool
	status         map[string]int
	expireContinue map[string]bool
	stopAfter      int // close the listener after this many list requests (0: never)
	lists          int
	requests       []string
	onList         func(resource string)
}

// New starts a TLS server that accepts "Authorization: Bearer <token>".
// Keep-alives are off so that Stop makes every later request fail to
// connect instead of failing on a reused connection.
func New(token string) *Server {
	s := &Server{
		token:          token,
		items:          map[string][]map[string]any{},
		notInstalled:   map[string]bool{},
		forbidden:      map[string]bool{},
		status:         map[string]int{},
		expireContinue: map[string]bool{},
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.SetKeepAlivesEnabled(false)
	// Handshake failures are what the TLS tests provoke; keep them quiet.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	s.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
	return s
}

// Add stores a custom resource of kind in namespace.
func (s *Server) Add(k kinds.Kind, namespace, name string, spec map[string]any, labels map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.items[k.Resource]) + 1
	meta := map[string]any{
		"name": name, "namespace": namespace,
		"uid":             fmt.Sprintf("uid-%s-%s-%d", k.Resource, name, n),
		"resourceVersion": strconv.Itoa(1000 + n),
	}
	if labels != nil {
		meta["labels"] = labels
	}
	obj := map[string]any{
		"apiVersion": k.Group + "/" + k.Version, "kind": k.Kind,
		"metadata": meta, "spec": spec, "status": map[string]any{},
	}
	s.items[k.Resource] = append(s.items[k.Resource], obj)
	return obj
}

// AddAgent stores a Hedgehog Agent named as its switch, at generation
// with status.lastAppliedGen applied and status.lastHeartbeat heartbeat
// (omitted when zero).
func (s *Server) AddAgent(namespace, name string, generation, applied int64, heartbeat time.Time) {
	obj := s.Add(kinds.Agent, namespace, name, map[string]any{"role": "server-leaf"}, nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	obj["metadata"].(map[string]any)["generation"] = generation
	status := map[string]any{"conditions": []any{}, "lastAppliedGen": applied}
	if !heartbeat.IsZero() {
		status["lastHeartbeat"] = heartbeat.UTC().Format(time.RFC3339)
	}
	obj["status"] = status
}

// Update changes a stored resource in place through fn and bumps its
// resourceVersion, as an edit would.
func (s *Server) Update(k kinds.Kind, name string, fn func(obj map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.items[k.Resource] {
		meta := o["metadata"].(map[string]any)
		if meta["name"] == name {
			fn(o)
			rv, _ := strconv.Atoi(meta["resourceVersion"].(string))
			meta["resourceVersion"] = strconv.Itoa(rv + 100)
		}
	}
}

// Remove deletes a stored resource.
func (s *Server) Remove(k kinds.Kind, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.items[k.Resource][:0]
	for _, o := range s.items[k.Resource] {
		if o["metadata"].(map[string]any)["name"] != name {
			kept = append(kept, o)
		}
	}
	s.items[k.Resource] = kept
}

// NotInstalled makes the kind's resource answer 404 (CRD missing).
func (s *Server) NotInstalled(k kinds.Kind) { s.set(func() { s.notInstalled[k.Resource] = true }) }

// Forbid makes lists of the kind answer 403 as RBAC would.
func (s *Server) Forbid(k kinds.Kind) { s.set(func() { s.forbidden[k.Resource] = true }) }

// Status makes lists of the kind answer code with a Status body.
func (s *Server) Status(k kinds.Kind, code int) { s.set(func() { s.status[k.Resource] = code }) }

// ExpireContinue makes the first request with a continue token for the
// kind answer 410 Gone, as an API server does after etcd compaction.
func (s *Server) ExpireContinue(k kinds.Kind) { s.set(func() { s.expireContinue[k.Resource] = true }) }

// StopAfter closes the listener once n list requests have been answered:
// the API server "goes away" mid-sync and later requests are refused.
func (s *Server) StopAfter(n int) { s.set(func() { s.stopAfter = n }) }

// OnList calls fn (outside the lock) at the start of every list request.
func (s *Server) OnList(fn func(resource string)) { s.set(func() { s.onList = fn }) }

// Requests returns the request URIs received, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) set(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	token := s.token
	onList := s.onList
	s.mu.Unlock()

	if r.Header.Get("Authorization") != "Bearer "+token {
		writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	if r.URL.Path == "/version" {
		writeJSON(w, http.StatusOK, map[string]any{
			"major": "1", "minor": "37", "gitVersion": "v1.37.2", "platform": "linux/amd64",
		})
		return
	}
	// /apis/<group>/<version>/namespaces/<ns>/<resource>
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 6 || parts[0] != "apis" || parts[3] != "namespaces" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	group, version, ns, resource := parts[1], parts[2], parts[4], parts[5]
	kind, known := lookup(group, version, resource)
	if onList != nil {
		onList(resource)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	if s.stopAfter > 0 && s.lists >= s.stopAfter {
		// This answer still goes out; every later dial is refused.
		s.Listener.Close()
	}
	switch {
	case !known || s.notInstalled[resource]:
		// What the API server answers for a group/resource it does not serve.
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	case s.forbidden[resource]:
		writeStatus(w, http.StatusForbidden, "Forbidden", fmt.Sprintf(
			"%s.%s is forbidden: User \"system:serviceaccount:default:hhgate\" cannot list resource %q in API group %q in the namespace %q",
			resource, group, resource, group, ns))
		return
	case s.status[resource] != 0:
		code := s.status[resource]
		writeStatus(w, code, "InternalError", fmt.Sprintf("Internal error occurred: injected %d", code))
		return
	}
	var all []map[string]any
	for _, o := range s.items[resource] {
		if o["metadata"].(map[string]any)["namespace"] == ns {
			all = append(all, o)
		}
	}
	q := r.URL.Query()
	offset := 0
	if c := q.Get("continue"); c != "" {
		if s.expireContinue[resource] {
			delete(s.expireContinue, resource)
			writeStatus(w, http.StatusGone, "Expired", "The provided continue parameter is too old to display a consistent list result.")
			return
		}
		offset, _ = strconv.Atoi(strings.TrimPrefix(c, "offset-"))
	}
	end := len(all)
	limit, _ := strconv.Atoi(q.Get("limit"))
	next := ""
	if limit > 0 && offset+limit < len(all) {
		end = offset + limit
		next = fmt.Sprintf("offset-%d", end)
	}
	if offset > len(all) {
		offset = len(all)
	}
	meta := map[string]any{"resourceVersion": "5000"}
	if next != "" {
		meta["continue"] = next
	}
	items := all[offset:end]
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"apiVersion": group + "/" + version, "kind": kind.Kind + "List",
		"metadata": meta, "items": items,
	})
}

func lookup(group, version, resource string) (kinds.Kind, bool) {
	for _, k := range append([]kinds.Kind{kinds.Agent}, kinds.All...) {
		if k.Group == group && k.Version == version && k.Resource == resource {
			return k, true
		}
	}
	return kinds.Kind{}, false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	writeJSON(w, code, map[string]any{
		"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": message, "reason": reason, "code": code,
	})
}

// OtherCAPEM returns a freshly generated self-signed CA certificate that
// did not sign the server's certificate: the "wrong CA" of a fabric.
func OtherCAPEM() string { return testca.UnrelatedPEM() }
