// Package netbox is a client for the Hedgehog plugin's REST API in NetBox
// (/api/plugins/hedgehog/...): the fabric record, paginated listing of the
// CRD objects, and bulk create, update and delete that retry what is worth
// retrying and split what NetBox refuses so that one bad object never
// blocks its neighbours.
package netbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// APIPrefix is where the plugin's REST API lives under the NetBox URL.
const APIPrefix = "/api/plugins/hedgehog/"

// Authorization schemes NetBox accepts for API tokens.
const (
	// SchemeToken is NetBox's classic "Authorization: Token <key>".
	SchemeToken = "Token"
	// SchemeBearer is for NetBox v2 tokens ("nbt_..."): "Authorization: Bearer <token>".
	SchemeBearer = "Bearer"
)

// Options configure a Client. Zero values pick the defaults.
type Options struct {
	// BaseURL is NetBox's URL, e.g. "https://netbox.example.com" (a path
	// prefix such as "/netbox" is kept).
	BaseURL string
	// Token is the service token. Secret: never logged or put in errors.
	Token string
	// AuthScheme is SchemeToken or SchemeBearer. Empty picks Bearer for
	// NetBox v2 tokens (prefix "nbt_") and Token otherwise.
	AuthScheme string
	// HTTPClient sends the requests; default a client without overall
	// timeout (RequestTimeout bounds each attempt instead).
	HTTPClient *http.Client
	// RequestTimeout bounds one attempt; default 60s (a bulk write of 100
	// objects runs NetBox's validation and change logging for each).
	RequestTimeout time.Duration
	// BatchSize is the most objects per bulk request; default
	// DefaultBatchSize. A request also stops at maxBatchBytes.
	BatchSize int
	// PageSize is the list page size; default 1000 (NetBox's MAX_PAGE_SIZE).
	PageSize int
	// Retry bounds retries; see RetryPolicy for defaults.
	Retry RetryPolicy
	// Logger receives retry and request lines; default none.
	Logger *zap.Logger
	// Now is the clock used for Retry-After dates; default time.Now.
	Now func() time.Time
	// Observe receives every attempt and retry (metrics); optional.
	Observe Observer
}

// Observer is told about requests, for metrics. Status is 0 when no
// answer arrived.
type Observer struct {
	Request func(method string, status int)
	Retry   func(method string)
}

// Client talks to one NetBox. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	authValue string
	http      *http.Client
	timeout   time.Duration
	batchSize int
	pageSize  int
	retry     RetryPolicy
	log       *zap.Logger
	now       func() time.Time
	observe   Observer
	// fieldsIgnored: this NetBox answered ?fields= with full objects.
	fieldsIgnored atomic.Bool
	// orderingHonoured: a route showed that ?ordering= is honoured
	// (NetBox >= 3.2), see ReadChangeMark.
	orderingHonoured atomic.Bool
}

// New checks o and returns a Client.
func New(o Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(strings.TrimSpace(o.BaseURL), "/"))
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("netbox url %q is not an http(s) URL", o.BaseURL)
	}
	token := strings.TrimSpace(o.Token)
	if token == "" {
		return nil, errors.New("netbox token is empty")
	}
	scheme := o.AuthScheme
	switch scheme {
	case "":
		scheme = SchemeToken
		if strings.HasPrefix(token, "nbt_") {
			scheme = SchemeBearer
		}
	case SchemeToken, SchemeBearer:
	default:
		return nil, fmt.Errorf("netbox auth scheme %q: want %q or %q", scheme, SchemeToken, SchemeBearer)
	}
	c := &Client{
		base:      base,
		authValue: scheme + " " + token,
		http:      o.HTTPClient,
		timeout:   o.RequestTimeout,
		batchSize: o.BatchSize,
		pageSize:  o.PageSize,
		retry:     o.Retry.withDefaults(),
		log:       o.Logger,
		now:       o.Now,
		observe:   o.Observe,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if c.batchSize <= 0 {
		c.batchSize = DefaultBatchSize
	}
	if c.pageSize <= 0 {
		c.pageSize = 1000
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// DefaultBatchSize is Options.BatchSize's default. Each bulk request is
// one transaction in NetBox, with a commit and a round of middleware and
// authentication: 250 objects a request import a sixth to a fifth faster
// than 100 (bench/syncbench), while the batches a sync holds stay small
// (500 was a little faster still, and cost 7 MiB more at 20,000
// objects); maxBatchBytes keeps the body far below the limits in front of
// NetBox.
const DefaultBatchSize = 250

// maxBatchBytes bounds a bulk request's body: half of nginx's default
// client_max_body_size (1 MiB) and of Django's DATA_UPLOAD_MAX_MEMORY_SIZE
// (2.5 MB), whatever the objects' size.
const maxBatchBytes = 512 << 10

// BatchSize is the most objects sent per bulk request.
func (c *Client) BatchSize() int { return c.batchSize }

// maxBody caps what is read of any response: a page of 1000 objects is a
// few MB, an error body much less.
const maxBody = 64 << 20

// do sends one request with retries and returns the body of a 2xx answer.
// A non-2xx answer is an *HTTPError carrying its body; anything else is a
// transport error or the context's.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawQuery = query.Encode()
	start := c.now()
	for attempt := 1; ; attempt++ {
		data, header, err := c.once(ctx, method, u.String(), path, body)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		if method == http.MethodPost && worthRetrying(err) && !provablyUnsent(err) {
			// NetBox may have committed it: the caller re-reads instead.
			return nil, &UncertainError{Err: err}
		}
		var delay time.Duration
		var h *HTTPError
		switch {
		case errors.As(err, &h):
			if !retryable(h.Status) {
				return nil, err
			}
			if d, ok := retryAfter(header, c.now()); ok {
				delay = min(d, c.retry.MaxDelay)
			} else {
				delay = c.retry.backoff(attempt)
			}
		case transportRetryable(err):
			delay = c.retry.backoff(attempt)
		default:
			return nil, err
		}
		if attempt >= c.retry.Attempts || c.now().Sub(start)+delay > c.retry.MaxElapsed {
			if attempt > 1 {
				return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
			}
			return nil, err
		}
		// The status, not the body: an error page may quote anything.
		why := zap.Error(err)
		if h != nil {
			why = zap.Int("status", h.Status)
		}
		if c.observe.Retry != nil {
			c.observe.Retry(method)
		}
		c.log.Warn("netbox request failed, retrying",
			zap.String("method", method), zap.String("path", path),
			zap.Int("attempt", attempt), zap.Duration("delay", delay), why)
		if err := c.retry.Sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
}

// once makes a single attempt.
func (c *Client) once(ctx context.Context, method, target, path string, body []byte) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", c.authValue)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if c.observe.Request != nil {
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		c.observe.Request(method, status)
	}
	if err != nil {
		// *url.Error names the URL, which carries no credentials.
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, resp.Header, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.Header, &HTTPError{Method: method, Path: path, Status: resp.StatusCode, Body: data}
	}
	return data, resp.Header, nil
}

// unwrapURL drops *url.Error's "Get \"https://host/path\":" prefix, which
// would repeat what our own prefix already says.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
