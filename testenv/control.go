package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// User describes a stand-in user for CreateUser.
type User struct {
	Username string `json:"username"`
	Password string `json:"password,omitempty"` // empty: unusable password (remote-auth only)
	// Superuser grants every permission.
	Superuser bool `json:"superuser"`
	// Permissions are "app_label.codename" names, e.g. "netbox_hedgehog.view_hedgehogfabric".
	Permissions []string `json:"permissions,omitempty"`
	// Token, if set, becomes the user's API token (Authorization: Token|Bearer <Token>), at most 40 characters.
	Token     string `json:"token,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
}

// CreateUser creates or updates a user through the control endpoint.
func (n *NetBox) CreateUser(t testing.TB, u User) {
	t.Helper()
	if err := n.Control(http.MethodPost, "users/", u, nil); err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Username, err)
	}
}

// ExpireSessions moves the expiry of the user's sessions ("" = all sessions)
// into the past; Django then treats them as absent.
func (n *NetBox) ExpireSessions(t testing.TB, username string) {
	t.Helper()
	if err := n.Control(http.MethodPost, "expire-sessions/", map[string]string{"username": username}, nil); err != nil {
		t.Fatalf("ExpireSessions(%q): %v", username, err)
	}
}

// CreateFabric creates a HedgehogFabric from its field values and returns its id.
func (n *NetBox) CreateFabric(t testing.TB, fields map[string]any) int {
	t.Helper()
	var out struct {
		ID int `json:"id"`
	}
	if err := n.Control(http.MethodPost, "fabrics/", fields, &out); err != nil {
		t.Fatalf("CreateFabric: %v", err)
	}
	return out.ID
}

// UpdateFabric sets fields of a fabric and returns all its fields.
func (n *NetBox) UpdateFabric(t testing.TB, id int, fields map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	if err := n.Control(http.MethodPost, "fabrics/"+strconv.Itoa(id)+"/", fields, &out); err != nil {
		t.Fatalf("UpdateFabric(%d): %v", id, err)
	}
	return out
}

// Fabric returns all fields of a fabric as stored (times in RFC 3339, null as nil).
func (n *NetBox) Fabric(t testing.TB, id int) map[string]any {
	t.Helper()
	out := map[string]any{}
	if err := n.Control(http.MethodGet, "fabrics/"+strconv.Itoa(id)+"/", nil, &out); err != nil {
		t.Fatalf("Fabric(%d): %v", id, err)
	}
	return out
}

// SessionCount returns the number of unexpired sessions.
func (n *NetBox) SessionCount(t testing.TB) int {
	t.Helper()
	var out struct {
		Count int `json:"count"`
	}
	if err := n.Control(http.MethodGet, "sessions/", nil, &out); err != nil {
		t.Fatalf("SessionCount: %v", err)
	}
	return out.Count
}

// Control calls a /-/standin/ endpoint: body (if any) is sent as JSON and a
// 2xx JSON answer is decoded into out (if not nil).
func (n *NetBox) Control(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.URL+"/-/standin/"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Standin-Control", n.controlToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s /-/standin/%s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s /-/standin/%s: decoding %q: %w", method, path, data, err)
		}
	}
	return nil
}
