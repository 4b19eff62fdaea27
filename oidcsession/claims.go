package oidcsession

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/hhgate/hhgate/netboxhttp"
	"github.com/hhgate/hhgate/oidcstore"
)

// maxClaimLength bounds a value copied into a header.
const maxClaimLength = 1024

// identityFromClaims reads the identity from the merged ID token and
// userinfo claims. The user claim is required; the others are optional and
// left empty when missing or unusable. Values holding control characters
// (which would corrupt a header) are refused, and group names holding the
// separator are dropped (NetBox would split them into other groups).
func identityFromClaims(claims map[string]any, names ClaimNames, separator string) (oidcstore.Identity, error) {
	var id oidcstore.Identity
	user, ok := claims[names.User].(string)
	if !ok || user == "" {
		return id, fmt.Errorf("the identity provider sent no %q claim (claim user)", names.User)
	}
	if !headerSafe(user) {
		return id, fmt.Errorf("the %q claim cannot be sent to NetBox (control characters or too long)", names.User)
	}
	id.User = user
	id.Email = optionalClaim(claims, names.Email)
	id.FirstName = optionalClaim(claims, names.FirstName)
	id.LastName = optionalClaim(claims, names.LastName)
	id.Groups = groupsClaim(claims[names.Groups], separator)
	return id, nil
}

func optionalClaim(claims map[string]any, name string) string {
	v, _ := claims[name].(string)
	if !headerSafe(v) {
		return ""
	}
	return v
}

// groupsClaim accepts a JSON array of strings or a single string.
func groupsClaim(v any, separator string) []string {
	var raw []string
	switch g := v.(type) {
	case string:
		raw = []string{g}
	case []string:
		raw = g
	case []any:
		for _, item := range g {
			if s, ok := item.(string); ok {
				raw = append(raw, s)
			}
		}
	}
	var groups []string
	for _, g := range raw {
		if g == "" || !headerSafe(g) || strings.Contains(g, separator) || slices.Contains(groups, g) {
			continue
		}
		groups = append(groups, g)
	}
	return groups
}

func headerSafe(s string) bool {
	return len(s) <= maxClaimLength && !netboxhttp.HasControl(s)
}

// mergeClaims overlays userinfo claims on the ID token's. The subjects must
// agree (OIDC Core 5.3.2), or the userinfo answer is not about this user.
func mergeClaims(idClaims, userinfo map[string]any) (map[string]any, error) {
	if userinfo == nil {
		return idClaims, nil
	}
	if userinfo["sub"] != idClaims["sub"] {
		return nil, errors.New("userinfo is about another subject than the ID token")
	}
	merged := make(map[string]any, len(idClaims)+len(userinfo))
	for k, v := range idClaims {
		merged[k] = v
	}
	for k, v := range userinfo {
		merged[k] = v
	}
	return merged, nil
}

// userClaims is the ID token's claims overlaid with the userinfo
// endpoint's answer (many IdPs put profile and group claims only there).
// A userinfo failure is logged and the ID token's claims are used alone:
// it must not cost a login whose ID token is complete, nor a session whose
// tokens were just renewed.
func (h *Handler) userClaims(ctx context.Context, p *provider, tok *oauth2.Token, idClaims map[string]any) map[string]any {
	info, err := p.userInfo(ctx, tok)
	if err == nil {
		var merged map[string]any
		if merged, err = mergeClaims(idClaims, info); err == nil {
			return merged
		}
	}
	h.log.Warn("userinfo not used; the ID token's claims stand alone", zap.Error(err))
	return idClaims
}
