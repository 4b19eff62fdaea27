// Package fakenetbox emulates the parts of NetBox and the Hedgehog plugin's
// REST API that the sync uses, with NetBox's semantics: token auth,
// limit/offset pagination that ignores filters, ?fields= (NetBox >= 4.0;
// IgnoreFields for 3.x), bulk create validated as a
// whole (400 with one error dict per object), bulk update stopping at the
// first invalid object (400 with one dict), bulk delete by id list, and the
// plugin's refusal of blank specs. Faults can be injected per request.
package fakenetbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const prefix = "/api/plugins/hedgehog/"

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Query  string
	Auth   string
	Body   []byte
}

// Fault is an injected answer; Status 0 means "answer normally".
type Fault struct {
	Status int
	Header http.Header
	Body   string
	// DropAfterCommit handles the request normally (it is committed),
	// then closes the connection without answering.
	DropAfterCommit bool
}

// Server is the fake NetBox.
type Server struct {
	*httptest.Server

	mu      sync.Mutex
	auth    string
	fabrics map[int]map[string]any
	rows    map[string][]map[string]any // by route
	nextID  int
	reqs    []Request
	// AllowBlankSpec emulates the plugin once spec has blank=True.
	allowBlank bool
	// ignoreFields emulates NetBox before 4.0, which has no ?fields=.
	ignoreFields bool
	// ignoreOrdering emulates NetBox before 3.2, which has no ?ordering=.
	ignoreOrdering bool
	// saves numbers the saves: last_updated is a microsecond per save
	// after a fixed instant, so that it always grows.
	saves int64
	fault func(r Request) Fault
}

// New starts a server that accepts exactly the Authorization value auth
// (e.g. "Token abc").
func New(auth string) *Server {
	s := &Server{auth: auth, fabrics: map[int]map[string]any{}, rows: map[string][]map[string]any{}, nextID: 1}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddFabric stores a fabric record (id is taken from f["id"]).
func (s *Server) AddFabric(f map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fabrics[f["id"].(int)] = f
}

// Fabric returns a copy of the fabric record.
func (s *Server) Fabric(id int) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.fabrics[id])
}

// Seed stores an object row on route as NetBox would have it and returns
// its id. Missing fields get NetBox's defaults.
func (s *Server) Seed(route string, row map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	row = normalize(row)
	s.store(route, row)
	return row["id"].(int)
}

// Objects returns copies of route's rows, ordered by id.
func (s *Server) Objects(route string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.rows[route]))
	for _, r := range s.rows[route] {
		out = append(out, clone(r))
	}
	return out
}

// Find returns a copy of the row of route with that name, or nil.
func (s *Server) Find(route, name string) map[string]any {
	for _, r := range s.Objects(route) {
		if r["name"] == name {
			return r
		}
	}
	return nil
}

// AllowBlankSpec switches the plugin fix (spec blank=True) on or off.
func (s *Server) AllowBlankSpec(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowBlank = on
}

// IgnoreFields makes lists answer full objects whatever ?fields= says, as
// NetBox before 4.0 does.
func (s *Server) IgnoreFields(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignoreFields = on
}

// IgnoreOrdering makes lists ignore ?ordering= (always by id), as NetBox
// before 3.2 does.
func (s *Server) IgnoreOrdering(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignoreOrdering = on
}

// Edit changes the row of route with that name as an edit in NetBox's UI
// would (last_updated moves on); it reports whether the row exists.
func (s *Server) Edit(route, name string, fn func(row map[string]any)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows[route] {
		if r["name"] == name {
			fn(r)
			s.saved(r)
			return true
		}
	}
	return false
}

// saved sets last_updated as NetBox's auto_now does on every save.
func (s *Server) saved(row map[string]any) {
	s.saves++
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.saves) * time.Microsecond)
	row["last_updated"] = at.Format("2006-01-02T15:04:05.000000Z07:00")
}

// SetFault installs fn, called for every request before normal handling.
func (s *Server) SetFault(fn func(r Request) Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = fn
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
}

// ObjectWrites counts POST, PATCH and DELETE requests on object routes
// (fabric status writes excluded).
func (s *Server) ObjectWrites() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method != http.MethodGet && !strings.HasPrefix(r.Path, prefix+"fabrics/") {
			n++
		}
	}
	return n
}

// FabricPatches returns the decoded bodies of PATCHes to fabric id.
func (s *Server) FabricPatches(id int) []map[string]any {
	var out []map[string]any
	path := fmt.Sprintf("%sfabrics/%d/", prefix, id)
	for _, r := range s.Requests() {
		if r.Method == http.MethodPatch && r.Path == path {
			var m map[string]any
			_ = json.Unmarshal(r.Body, &m)
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	fault := s.fault
	s.mu.Unlock()
	if fault != nil {
		f := fault(req)
		if f.DropAfterCommit {
			s.answer(httptest.NewRecorder(), r, req, body)
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		if f.Status != 0 {
			for k, v := range f.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
			return
		}
	}
	s.answer(w, r, req, body)
}

// answer is the fake's normal handling of a request.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, req Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Auth != s.auth {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Invalid token"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if parts[0] == "fabrics" && len(parts) == 2 {
		s.serveFabric(w, r.Method, parts[1], body)
		return
	}
	if len(parts) != 1 {
		http.NotFound(w, r)
		return
	}
	route := parts[0]
	switch r.Method {
	case http.MethodGet:
		s.list(w, route, r)
	case http.MethodPost:
		s.create(w, route, body)
	case http.MethodPatch:
		s.update(w, route, body)
	case http.MethodDelete:
		s.delete(w, route, body)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method not allowed"})
	}
}

func (s *Server) serveFabric(w http.ResponseWriter, method, idText string, body []byte) {
	id, _ := strconv.Atoi(idText)
	f, ok := s.fabrics[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "No HedgehogFabric matches the given query."})
		return
	}
	switch method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, f)
	case http.MethodPatch:
		var patch map[string]any
		if err := json.Unmarshal(body, &patch); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "JSON parse error"})
			return
		}
		for k, v := range patch {
			f[k] = v
		}
		writeJSON(w, http.StatusOK, f)
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method not allowed"})
	}
}

func (s *Server) list(w http.ResponseWriter, route string, r *http.Request) {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000) // NetBox's MAX_PAGE_SIZE
	offset, _ := strconv.Atoi(q.Get("offset"))
	rows := s.ordered(route, q.Get("ordering"))
	offset = min(max(offset, 0), len(rows))
	end := min(offset+limit, len(rows))
	page := rows[offset:end]
	if fields := q.Get("fields"); fields != "" && !s.ignoreFields {
		page = only(page, strings.Split(fields, ","))
	}
	var next any
	if end < len(rows) {
		next = fmt.Sprintf("%s%s%s/?limit=%d&offset=%d", s.URL, prefix, route, limit, end)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(rows), "next": next, "previous": nil, "results": page})
}

// ordered is route's rows in ?ordering= order: id (the default) or
// last_updated, either way round, ties by id as with Django's ordering
// plus the model's.
func (s *Server) ordered(route, ordering string) []map[string]any {
	rows := s.rows[route]
	field, desc := strings.CutPrefix(ordering, "-")
	if s.ignoreOrdering || (field != "last_updated" && !(field == "id" && desc)) {
		return rows
	}
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b map[string]any) int {
		c := 0
		if field == "last_updated" {
			c = strings.Compare(fmt.Sprint(a["last_updated"]), fmt.Sprint(b["last_updated"]))
		}
		if c == 0 {
			c = a["id"].(int) - b["id"].(int)
		}
		if desc {
			return -c
		}
		return c
	})
	return out
}

// only is NetBox 4's ?fields=: each row with just the named fields that
// exist (unknown names are ignored).
func only(rows []map[string]any, fields []string) []map[string]any {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{}
		for _, f := range fields {
			if v, ok := r[f]; ok {
				out[i][f] = v
			}
		}
	}
	return out
}

func (s *Server) create(w http.ResponseWriter, route string, body []byte) {
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "expected a list"})
		return
	}
	errs := make([]map[string]any, len(items))
	bad := false
	seen := map[string]bool{}
	for i, it := range items {
		e := s.validate(it)
		if _, ok := it["name"]; !ok {
			e["name"] = []string{"This field is required."}
		}
		key := uniqueKey(it)
		if seen[key] || s.exists(route, it, -1) {
			e["non_field_errors"] = []string{"The fields fabric, namespace, name must make a unique set."}
		}
		seen[key] = true
		errs[i] = e
		bad = bad || len(e) > 0
	}
	if bad {
		writeJSON(w, http.StatusBadRequest, errs)
		return
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		row := normalize(it)
		s.store(route, row)
		out[i] = row
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) update(w http.ResponseWriter, route string, body []byte) {
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "expected a list"})
		return
	}
	// All or nothing, stopping at the first invalid object like NetBox's
	// perform_bulk_update inside transaction.atomic().
	updated := make([]map[string]any, 0, len(items))
	for _, it := range items {
		id, ok := asInt(it["id"])
		if !ok {
			writeJSON(w, http.StatusBadRequest, []map[string]any{{"id": []string{"This field is required."}}})
			return
		}
		row := s.byID(route, id)
		if row == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not found."})
			return
		}
		merged := clone(row)
		for k, v := range it {
			merged[k] = v
		}
		if e := s.validate(merged); len(e) > 0 {
			writeJSON(w, http.StatusBadRequest, e)
			return
		}
		updated = append(updated, merged)
	}
	for _, m := range updated {
		id, _ := asInt(m["id"])
		row := s.byID(route, id)
		for k, v := range m {
			row[k] = v
		}
		row["id"] = id
		s.saved(row)
	}
	writeJSON(w, http.StatusOK, updated)
}

func (s *Server) delete(w http.ResponseWriter, route string, body []byte) {
	var items []map[string]any
	if err := json.Unmarshal(body, &items); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "expected a list"})
		return
	}
	gone := map[int]bool{}
	for _, it := range items {
		id, ok := asInt(it["id"])
		if !ok {
			writeJSON(w, http.StatusBadRequest, []map[string]any{{"id": []string{"This field is required."}}})
			return
		}
		gone[id] = true
	}
	kept := s.rows[route][:0]
	for _, r := range s.rows[route] {
		if !gone[r["id"].(int)] {
			kept = append(kept, r)
		}
	}
	s.rows[route] = kept
	w.WriteHeader(http.StatusNoContent)
}

// validate is the model's full_clean(): spec is a JSONField without
// blank=True, so {} and null are refused.
func (s *Server) validate(it map[string]any) map[string]any {
	e := map[string]any{}
	spec, ok := it["spec"]
	switch {
	case !ok:
		e["spec"] = []string{"This field is required."}
	case spec == nil:
		e["spec"] = []string{"This field cannot be null."}
	case !s.allowBlank && isBlank(spec):
		e["spec"] = []string{"This field cannot be blank."}
	}
	if f, ok := asInt(it["fabric"]); !ok || s.fabrics[f] == nil {
		e["fabric"] = []string{"Invalid pk - object does not exist."}
	}
	return e
}

func isBlank(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	case string:
		return t == ""
	}
	return false
}

func (s *Server) exists(route string, it map[string]any, exceptID int) bool {
	key := uniqueKey(it)
	for _, r := range s.rows[route] {
		if r["id"].(int) != exceptID && uniqueKey(r) == key {
			return true
		}
	}
	return false
}

func (s *Server) byID(route string, id int) map[string]any {
	for _, r := range s.rows[route] {
		if r["id"].(int) == id {
			return r
		}
	}
	return nil
}

func (s *Server) store(route string, row map[string]any) {
	if id, ok := asInt(row["id"]); ok && id > 0 {
		row["id"] = id
		s.nextID = max(s.nextID, id+1)
	} else {
		row["id"] = s.nextID
		s.nextID++
	}
	s.saved(row)
	rows := append(s.rows[route], row)
	s.rows[route] = rows
	if len(rows) < 2 || rows[len(rows)-2]["id"].(int) < row["id"].(int) {
		return
	}
	sort.Slice(s.rows[route], func(i, j int) bool { return s.rows[route][i]["id"].(int) < s.rows[route][j]["id"].(int) })
}

// normalize fills NetBox's defaults and the read-only fields.
func normalize(in map[string]any) map[string]any {
	row := clone(in)
	if f, ok := asInt(row["fabric"]); ok {
		row["fabric"] = f
	}
	defaults := map[string]any{
		"namespace": "default", "labels": map[string]any{}, "annotations": map[string]any{},
		"kubernetes_status": "unknown", "kubernetes_uid": "", "kubernetes_resource_version": "",
		"last_applied": nil, "last_synced": nil, "sync_error": "", "auto_sync": true,
		"tags": []any{}, "custom_fields": map[string]any{},
	}
	for k, v := range defaults {
		if _, ok := row[k]; !ok {
			row[k] = v
		}
	}
	return row
}

func uniqueKey(r map[string]any) string {
	f, _ := asInt(r["fabric"])
	ns, _ := r["namespace"].(string)
	if ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("%d/%s/%v", f, ns, r["name"])
}

func asInt(v any) (int, bool) {
	switch t := v.(type) {
	case int:
		return t, true
	case float64:
		return int(t), t == float64(int(t))
	case json.Number:
		n, err := strconv.Atoi(string(t))
		return n, err == nil
	}
	return 0, false
}

func clone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	// ids stay ints, as the store keeps them.
	if id, ok := asInt(out["id"]); ok {
		out["id"] = id
	}
	if f, ok := asInt(out["fabric"]); ok {
		out["fabric"] = f
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
