package hedgehogsync

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	var hs HedgehogSync
	err := hs.UnmarshalCaddyfile(caddyfile.NewTestDispenser(`hedgehog_sync {
		netbox_url http://127.0.0.1:8000
		netbox_token {env.HHGATE_NETBOX_TOKEN}
		base_path /netbox/
		login_path /netbox/login/
		prune false
		max_prune 20%
		timeout 90s
		batch_size 250
		insecure_skip_tls_verify
		controller off
		debounce 1s
		full_compare_every 30m
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if hs.NetBoxURL != "http://127.0.0.1:8000" || hs.NetBoxToken != "{env.HHGATE_NETBOX_TOKEN}" || hs.BasePath != "/netbox/" ||
		hs.LoginPath != "/netbox/login/" || hs.Prune == nil || *hs.Prune || time.Duration(hs.Timeout) != 90*time.Second ||
		hs.BatchSize != 250 || !hs.InsecureSkipTLSVerify || hs.Controller == nil || *hs.Controller ||
		time.Duration(hs.Debounce) != time.Second || hs.MaxPrune != "20%" || hs.FullCompareEvery != "30m" {
		t.Fatalf("parsed %+v", hs)
	}
	for input, want := range map[string]string{
		"hedgehog_sync {\n prune maybe\n}":                  "prune",
		"hedgehog_sync {\n max_prune 150%\n}":               "max_prune: \"150%\" must be between 0% and 100%",
		"hedgehog_sync {\n max_prune abc\n}":                "max_prune: \"abc\" is not a percentage",
		"hedgehog_sync {\n max_prune -1%\n}":                "max_prune: \"-1%\" must be between",
		"hedgehog_sync {\n timeout soon\n}":                 "timeout",
		"hedgehog_sync {\n batch_size many\n}":              "batch_size",
		"hedgehog_sync {\n controller maybe\n}":             "controller: \"maybe\" is not on or off",
		"hedgehog_sync {\n debounce soon\n}":                "debounce",
		"hedgehog_sync {\n debounce 0s\n}":                  "debounce: \"0s\" must be positive",
		"hedgehog_sync {\n full_compare_every never\n}":     "full_compare_every: \"never\" is not a positive duration (e.g. 1h) or off",
		"hedgehog_sync {\n full_compare_every 0s\n}":        "full_compare_every: \"0s\" is not a positive duration",
		"hedgehog_sync {\n netbox_url\n}":                   "wrong argument count",
		"hedgehog_sync {\n netbox_tokn x\n}":                "unrecognized hedgehog_sync option 'netbox_tokn'",
		"hedgehog_sync {\n insecure_skip_tls_verify yes\n}": "wrong argument count",
	} {
		var hs HedgehogSync
		if err := hs.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", input, err, want)
		}
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	t.Setenv("HHGATE_TEST_EMPTY_TOKEN", "")
	for field, hs := range map[string]*HedgehogSync{
		"netbox_url":         {NetBoxToken: "t"},
		"netbox_token":       {NetBoxURL: "http://127.0.0.1:8000", NetBoxToken: "{env.HHGATE_TEST_EMPTY_TOKEN}"},
		"batch_size":         {NetBoxURL: "http://127.0.0.1:8000", NetBoxToken: "t", BatchSize: 5000},
		"base_path":          {NetBoxURL: "http://127.0.0.1:8000", NetBoxToken: "t", BasePath: "netbox"},
		"max_prune":          {NetBoxURL: "http://127.0.0.1:8000", NetBoxToken: "t", MaxPrune: "150%"},
		"full_compare_every": {NetBoxURL: "http://127.0.0.1:8000", NetBoxToken: "t", FullCompareEvery: "-5m"},
	} {
		if err := hs.Provision(ctx); err != nil {
			t.Errorf("Provision(%+v) = %v; bad configuration is Validate's to report", hs, err)
		}
		err := hs.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), field+":") {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", hs, err, field)
		}
		if hs.handler != nil || hs.runtimeKey != "" {
			t.Errorf("Provision(%+v) built a handler or joined the runtime for a configuration Validate refuses", hs)
		}
		if err != nil && strings.Contains(err.Error(), "\"t\"") {
			t.Errorf("error echoes the token: %v", err)
		}
	}
}

func TestParseFullCompareEvery(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "off": -1, "1h": time.Hour, "90s": 90 * time.Second} {
		if got, err := parseFullCompareEvery(in); err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0s", "-1h", "hourly", "on"} {
		if _, err := parseFullCompareEvery(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
