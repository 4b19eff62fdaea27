package netboxhttp

import (
	"fmt"
	"net/http"
	"strings"
)

// Config locates NetBox and names the texts of its answers. Every field is
// optional; errors from New name the Caddy configuration field.
type Config struct {
	// BasePath is NetBox's BASE_PATH as a path ("/" or "/netbox/"); it
	// prefixes the defaults of LoginPath and APIPrefixes. Default "/".
	BasePath string
	// LoginPath is NetBox's LOGIN_URL path. Default BasePath + "login/".
	LoginPath string
	// APIPrefixes are path prefixes whose requests are always programmatic.
	// Default BasePath + "api/" and BasePath + "graphql/".
	APIPrefixes []string
	// AJAXPaths are extra patterns of programmatic requests (see PathPattern).
	AJAXPaths []string
	// Texts replace the default sentences.
	Texts
}

// Site is a checked Config: NetBox as a request handler sees it. It is
// immutable and safe for concurrent use.
type Site struct {
	basePath   string
	loginPath  string
	classifier Classifier
	texts      Texts
}

// New checks cfg, applies the defaults and builds a Site.
func New(cfg Config) (*Site, error) {
	s := &Site{basePath: cfg.BasePath, loginPath: cfg.LoginPath, texts: cfg.Texts.withDefaults()}
	if s.basePath == "" {
		s.basePath = "/"
	}
	if err := CheckBasePath(s.basePath); err != nil {
		return nil, fmt.Errorf("base_path: %w", err)
	}
	if s.loginPath == "" {
		s.loginPath = s.basePath + "login/"
	}
	if err := CheckPath(s.loginPath); err != nil {
		return nil, fmt.Errorf("login_path: %w", err)
	}
	prefixes := cfg.APIPrefixes
	if len(prefixes) == 0 {
		prefixes = []string{s.basePath + "api/", s.basePath + "graphql/"}
	}
	for i, p := range prefixes {
		if err := CheckPath(p); err != nil {
			return nil, fmt.Errorf("api_prefix[%d]: %w", i, err)
		}
	}
	s.classifier.APIPrefixes = prefixes
	for i, p := range cfg.AJAXPaths {
		pp, err := ParsePathPattern(p)
		if err != nil {
			return nil, fmt.Errorf("ajax_path[%d]: %w", i, err)
		}
		s.classifier.AJAXPaths = append(s.classifier.AJAXPaths, pp)
	}
	for _, t := range [...]struct{ name, text string }{
		{"message", s.texts.Message}, {"csrf_message", s.texts.CSRFMessage}, {"unavailable_message", s.texts.UnavailableMessage},
	} {
		if strings.TrimSpace(t.text) == "" {
			return nil, fmt.Errorf("%s: must not be blank", t.name)
		}
	}
	return s, nil
}

// BasePath is NetBox's BASE_PATH, ending in "/".
func (s *Site) BasePath() string { return s.basePath }

// LoginPath is NetBox's LOGIN_URL path.
func (s *Site) LoginPath() string { return s.loginPath }

// Texts are the sentences of the answers, defaults applied.
func (s *Site) Texts() Texts { return s.texts }

// IsProgrammatic reports whether r was made by a script or an API client
// (see Classifier.IsProgrammatic), with this site's API prefixes and AJAX
// paths. It does not allocate.
func (s *Site) IsProgrammatic(r *http.Request) bool { return s.classifier.IsProgrammatic(r) }

// LoginURL is NetBox's login page returning to next.
func (s *Site) LoginURL(next string) string { return LoginURL(s.loginPath, next) }

// WriteAuthRequired writes the 401 "log in again" answer with this site's
// message, its redirect pointing at redirect (NetBox's login page with
// ?next=, or another login endpoint).
func (s *Site) WriteAuthRequired(w http.ResponseWriter, r *http.Request, redirect string) {
	WriteAuthRequired(w, r, s.texts.Message, redirect)
}

// WriteCSRFFailed writes the 403 csrf_failed answer with this site's text.
func (s *Site) WriteCSRFFailed(w http.ResponseWriter, r *http.Request) {
	WriteCSRFFailed(w, r, s.texts.CSRFMessage)
}

// WriteUnavailable writes status (a 502, 503 or 504) as upstream_unavailable
// with this site's text.
func (s *Site) WriteUnavailable(w http.ResponseWriter, status int) {
	Write(w, status, NewBody(CodeUpstreamUnavailable, s.texts.UnavailableMessage, ""))
}
