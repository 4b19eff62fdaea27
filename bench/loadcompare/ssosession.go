package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/hhgate/hhgate/oidcstore"
)

// ssoSession is a gateway session written into the SSO site's storage
// before Caddy starts, so that wrk can send an authenticated request
// without an identity provider: netbox_oidc serves stored, valid sessions
// from memory even while its IdP is unreachable.
type ssoSession struct {
	// Key is the session key, base64, for the Caddyfile.
	Key string
	// Cookie is the request header carrying the session.
	Cookie string
}

// seedSSOSession creates a session for user "bench" valid for a day in the
// file storage at dir.
func seedSSOSession(ctx context.Context, dir string) (ssoSession, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return ssoSession{}, err
	}
	sealer, err := oidcstore.NewSealer([][]byte{key})
	if err != nil {
		return ssoSession{}, err
	}
	store := oidcstore.New(oidcstore.Config{Storage: &certmagic.FileStorage{Path: dir}, Sealer: sealer})
	now := time.Now()
	id := oidcstore.NewID()
	rec := &oidcstore.Record{
		Version: 1, Subject: "bench",
		Identity:    oidcstore.Identity{User: "bench", Email: "bench@example.com", FirstName: "Bench", LastName: "Mark", Groups: []string{"netbox-admins"}},
		TokenExpiry: now.Add(24 * time.Hour), RefreshAt: now.Add(24 * time.Hour),
		CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour),
	}
	if err := store.Save(ctx, id, rec); err != nil {
		return ssoSession{}, err
	}
	return ssoSession{Key: base64.StdEncoding.EncodeToString(key), Cookie: "Cookie: hhgate_session=" + id}, nil
}
