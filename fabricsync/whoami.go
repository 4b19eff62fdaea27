package fabricsync

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// whoAmI asks NetBox, with the pressing user's credentials (the headers
// the authorization request carried), who that user is: NetBox's
// /api/authentication-check/ answers the user's record. "" if it cannot.
func (h *Handler) whoAmI(ctx context.Context, header http.Header, host string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.netboxURL+h.basePath+"api/authentication-check/", nil)
	if err != nil {
		return ""
	}
	req.Header = header.Clone()
	req.Header.Set("Accept", "application/json")
	req.Host = host
	res, err := h.client.Do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return ""
	}
	var u struct {
		Username string `json:"username"`
	}
	if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&u) != nil {
		return ""
	}
	return u.Username
}
