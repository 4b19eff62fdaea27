package dropinenv

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
)

func oneOf(allowed ...string) func(string, *checker) error {
	return func(v string, _ *checker) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func oneOfFold(allowed ...string) func(string, *checker) error {
	return func(v string, _ *checker) error {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

// checkPercent accepts a whole percentage from 0% to 100% (max_prune).
func checkPercent(v string, _ *checker) error {
	digits, ok := strings.CutSuffix(v, "%")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || strings.HasPrefix(digits, "+") || n < 0 || n > 100 {
		return fmt.Errorf("%q is not a whole percentage from 0%% to 100%%, such as 50%%", v)
	}
	return nil
}

// listen is HHGATE_LISTEN understood: a host (IP or name, maybe empty) and
// a port (maybe empty).
type listen struct {
	host   string
	port   string
	isIP   bool
	isName bool
}

// parseListen accepts ":8080", "8080", "127.0.0.1:8080", "[::1]:8080",
// "netbox.example.com" and "netbox.example.com:8443".
func parseListen(v string) (listen, error) {
	if strings.Contains(v, "://") {
		return listen{}, fmt.Errorf("%q: give an address without a scheme (e.g. :8080, 127.0.0.1:8080 or netbox.example.com); HHGATE_TLS chooses HTTPS", v)
	}
	if strings.ContainsAny(v, "/ \t") {
		return listen{}, fmt.Errorf("%q is not an address (e.g. :8080, 127.0.0.1:8080 or netbox.example.com)", v)
	}
	if _, err := strconv.Atoi(v); err == nil {
		v = ":" + v // a bare port
	}
	host, port := v, ""
	if h, p, err := net.SplitHostPort(v); err == nil {
		host, port = h, p
	} else if strings.Count(v, ":") > 1 {
		return listen{}, fmt.Errorf("%q: write an IPv6 address in brackets with a port, e.g. [::1]:8080", v)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return listen{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", v, port)
		}
	}
	l := listen{host: host, port: port}
	switch {
	case host == "":
		if port == "" {
			return listen{}, errors.New("empty: unset it for the default :8080")
		}
	case isIP(host):
		l.isIP = true
	case isHostName(host):
		l.isName = true
	default:
		return listen{}, fmt.Errorf("%q: %q is neither an IP address nor a host name", v, host)
	}
	if (l.isIP) && port == "" {
		return listen{}, fmt.Errorf("%q: an IP address needs a port, e.g. %s:8080", v, bracket(host))
	}
	return l, nil
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

func bracket(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// isHostName accepts DNS names (letters, digits, '-', '.', a leading "*."
// for wildcard certificates).
func isHostName(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

func checkListen(v string, _ *checker) error {
	_, err := parseListen(v)
	return err
}

func checkBind(v string, _ *checker) error {
	for _, f := range strings.Fields(v) {
		if !isIP(strings.TrimPrefix(f, "tcp/")) && !strings.HasPrefix(f, "unix/") {
			return fmt.Errorf("%q is not an IP address", f)
		}
	}
	return nil
}

func checkAdmin(v string, _ *checker) error {
	if v == "off" {
		return nil
	}
	if strings.HasPrefix(v, "unix/") {
		return nil
	}
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q: want host:port (e.g. localhost:2019), unix/<path> or off", v)
	}
	return nil
}

func checkCIDRs(v string, _ *checker) error {
	for _, f := range strings.Fields(v) {
		if f == "private_ranges" {
			continue
		}
		if _, err := netip.ParsePrefix(f); err != nil && !isIP(f) {
			return fmt.Errorf("%q is not an IP address or CIDR range (e.g. 10.0.0.0/8); list several separated by spaces", f)
		}
	}
	return nil
}

// upstreamHostPort accepts host:port, http://host:port and
// https://host:port (no path: NetBox's BASE_PATH is NETBOX_BASE_PATH).
func upstreamHostPort(v string) (scheme, hostport string, err error) {
	scheme = "http"
	if i := strings.Index(v, "://"); i >= 0 {
		u, perr := url.Parse(v)
		if perr != nil {
			return "", "", fmt.Errorf("%q: %v", v, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", "", fmt.Errorf("%q: scheme %q; want http:// or https://", v, u.Scheme)
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return "", "", fmt.Errorf("%q: give only scheme, host and port; set NetBox's BASE_PATH with NETBOX_BASE_PATH", v)
		}
		scheme, v = u.Scheme, u.Host
	}
	host, port, serr := net.SplitHostPort(v)
	if serr != nil || host == "" {
		return "", "", fmt.Errorf("%q: want host:port, e.g. %s (NetBox's gunicorn default)", v, DefaultUpstream)
	}
	if n, aerr := strconv.Atoi(port); aerr != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("%q: port %q is not a number from 1 to 65535", v, port)
	}
	return scheme, v, nil
}

func checkUpstream(v string, _ *checker) error {
	_, _, err := upstreamHostPort(v)
	return err
}

// basePath turns NetBox's BASE_PATH ("netbox/", "/netbox", "/") into the
// path form the handlers take ("/netbox/").
func basePath(v string) string {
	v = strings.Trim(v, "/")
	if v == "" {
		return "/"
	}
	return "/" + v + "/"
}

func checkBasePath(v string, _ *checker) error {
	if strings.ContainsAny(v, "?#*{} \t") {
		return fmt.Errorf("%q is not a path (NetBox's BASE_PATH, e.g. netbox/)", v)
	}
	return nil
}

func checkPath(v string, _ *checker) error {
	if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#*{} \t") {
		return fmt.Errorf("%q must be a path starting with /", v)
	}
	return nil
}

func checkStaticRoot(v string, c *checker) error {
	if v == "off" {
		return nil
	}
	if !strings.HasPrefix(v, "/") {
		return fmt.Errorf("%q must be an absolute directory (NetBox's STATIC_ROOT) or off", v)
	}
	fi, err := c.stat(v)
	if err != nil {
		return fmt.Errorf("%q: %v (NetBox's STATIC_ROOT, filled by manage.py collectstatic; \"off\" when nginx or Apache serves /static/)", v, unwrapPathError(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%q is not a directory", v)
	}
	return nil
}

func checkDuration(v string, _ *checker) error {
	d, err := caddy.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 90s, 5m, 12h)", v)
	}
	if d <= 0 {
		return fmt.Errorf("%q must be positive", v)
	}
	return nil
}

// checkDurationOrOff accepts a positive duration or off
// (full_compare_every).
func checkDurationOrOff(v string, c *checker) error {
	if v == "off" {
		return nil
	}
	if err := checkDuration(v, c); err != nil {
		return fmt.Errorf("%q is not a positive duration (e.g. 1h) or off", v)
	}
	return nil
}

func checkURL(v string, _ *checker) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", v)
	}
	return nil
}

func checkURLOrPath(v string, c *checker) error {
	if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
		return nil
	}
	if err := checkURL(v, c); err != nil {
		return fmt.Errorf("%q is neither an absolute http(s) URL nor a path", v)
	}
	return nil
}

func checkIssuer(v string, c *checker) error { return checkURL(v, c) }
