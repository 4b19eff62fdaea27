package dropinenv

import (
	"errors"
	"fmt"
	"strings"
)

// get is the variable's value, or its default when unset.
func (c *checker) get(name string) string {
	if v, ok := c.env[name]; ok {
		return v
	}
	v, _ := lookupVariable(name)
	return v.def
}

// derive computes the HHGATE_DERIVED_* values from valid variables.
func (c *checker) derive() (map[string]string, error) {
	site, bind, tls, err := c.siteAddress()
	if err != nil {
		return nil, err
	}
	base := basePath(c.get("NETBOX_BASE_PATH"))
	login := c.get("NETBOX_LOGIN_PATH")
	if login == "" {
		login = base + "login/"
	}
	static := "on"
	if c.get("NETBOX_STATIC_ROOT") == "off" {
		static = "off"
	}
	return map[string]string{
		derivedPrefix + "SITE_ADDRESS":         site,
		derivedPrefix + "BIND":                 bind,
		derivedPrefix + "TLS":                  tls,
		derivedPrefix + "BASE_PATH":            base,
		derivedPrefix + "LOGIN_PATH":           login,
		derivedPrefix + "STATIC":               static,
		derivedPrefix + "SESSION_KEY_PREVIOUS": c.secretPlaceholder("HHGATE_SESSION_KEY_PREVIOUS"),
	}, nil
}

// secretPlaceholder is the Caddy placeholder that reads the secret when
// the module starts, so that the value never enters the adapted config.
func (c *checker) secretPlaceholder(name string) string {
	if path := c.env[name+"_FILE"]; path != "" {
		return "{file." + path + "}"
	}
	if c.env[name] != "" {
		return "{env." + name + "}"
	}
	return ""
}

// siteAddress turns HHGATE_LISTEN and HHGATE_TLS into the Caddyfile's site
// address, the bind address and the TLS snippet: an IP address or a port is
// plain HTTP on exactly that address; a host name is HTTPS.
func (c *checker) siteAddress() (site, bind, tls string, err error) {
	l, err := parseListen(c.get("HHGATE_LISTEN"))
	if err != nil {
		return "", "", "", fmt.Errorf("HHGATE_LISTEN: %w", err)
	}
	mode := c.get("HHGATE_TLS")
	bind = c.get("HHGATE_BIND")
	hostport := bracket(l.host)
	if l.port != "" {
		hostport += ":" + l.port
	}
	switch {
	case l.isName && mode == "off":
		return "http://" + hostport, bind, "default", nil
	case l.isName:
		return hostport, bind, tlsSnippet(mode), nil
	case mode == "internal" && !l.isIP:
		return "", "", "", errors.New("HHGATE_TLS: internal needs an IP address or host name in HHGATE_LISTEN (the certificate names it)")
	}
	if l.isIP {
		if bind != "" && strings.TrimPrefix(bind, "tcp/") != l.host {
			return "", "", "", fmt.Errorf("HHGATE_BIND: %q conflicts with HHGATE_LISTEN=%s; unset HHGATE_BIND (the address in HHGATE_LISTEN is where hhgate listens)", bind, c.get("HHGATE_LISTEN"))
		}
		bind = l.host
	}
	if mode == "internal" {
		return "https://" + hostport, bind, "internal", nil
	}
	return "http://:" + l.port, bind, "default", nil
}

func tlsSnippet(mode string) string {
	if mode == "internal" {
		return "internal"
	}
	return "default"
}
