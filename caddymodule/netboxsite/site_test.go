package netboxsite

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func TestInheritKeepsOwnOptionsAndFillsTheRest(t *testing.T) {
	shared := Site{
		BasePath: "/netbox/", LoginPath: "/netbox/sso/login/",
		APIPrefixes: []string{"/netbox/api/"}, AJAXPaths: []string{"/netbox/plugins/x/*"},
		Message: "shared message", CSRFMessage: "shared csrf", UnavailableMessage: "shared down",
	}
	tests := []struct {
		name string
		own  Site
		want Site
	}{
		{"empty handler takes everything", Site{}, shared},
		{"own fields win", Site{LoginPath: "/own/", Message: "own", AJAXPaths: []string{"/own/*"}},
			Site{BasePath: "/netbox/", LoginPath: "/own/", APIPrefixes: []string{"/netbox/api/"},
				AJAXPaths: []string{"/own/*"}, Message: "own", CSRFMessage: "shared csrf", UnavailableMessage: "shared down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.own
			got.Inherit(shared)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	var none Site
	none.Inherit(Site{})
	if !reflect.DeepEqual(none, Site{}) {
		t.Errorf("inheriting nothing changed the site: %+v", none)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		site Site
		want string // "" = valid
	}{
		{Site{}, ""},
		{Site{BasePath: "/netbox/", LoginPath: "/netbox/login/"}, ""},
		{Site{BasePath: "netbox/"}, "base_path"},
		{Site{BasePath: "/netbox"}, "base_path"},
		{Site{LoginPath: "login/"}, "login_path"},
		{Site{APIPrefixes: []string{"/api/", "api/"}}, "api_prefix[1]"},
		{Site{AJAXPaths: []string{"/a b/"}}, "ajax_path[0]"},
	}
	for _, tt := range tests {
		err := tt.site.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tt.site, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want+":")):
			t.Errorf("%+v: error %v, want one naming %s", tt.site, err, tt.want)
		}
	}
}

func TestGlobalOptionBecomesTheNetBoxApp(t *testing.T) {
	src := `{
	netbox {
		base_path /netbox/
		api_prefix /netbox/api/
		api_prefix /netbox/graphql/ /netbox/extra/
		ajax_path /netbox/plugins/hedgehog/*
		message "Sign in again, please."
	}
}
:8080 {
	respond ok
}
`
	out := adapt(t, src)
	var cfg struct {
		Apps map[string]json.RawMessage `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	var got Site
	if err := json.Unmarshal(cfg.Apps["netbox"], &got); err != nil {
		t.Fatalf("apps.netbox: %v in %s", err, out)
	}
	want := Site{
		BasePath:    "/netbox/",
		APIPrefixes: []string{"/netbox/api/", "/netbox/graphql/", "/netbox/extra/"},
		AJAXPaths:   []string{"/netbox/plugins/hedgehog/*"},
		Message:     "Sign in again, please.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apps.netbox = %+v, want %+v", got, want)
	}
}

func TestGlobalOptionErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{"netbox {\n\t\tbase_path netbox/\n\t}", "base_path"},
		{"netbox {\n\t\tcolour blue\n\t}", "unrecognized netbox option 'colour'"},
		{"netbox {\n\t\tmessage\n\t}", "wrong argument count"},
		{"netbox extra", "wrong argument count"},
	}
	for _, tt := range tests {
		src := "{\n\t" + tt.body + "\n}\n:8080 {\n\trespond ok\n}\n"
		_, _, err := caddyfile.Adapter{ServerType: serverType()}.Adapt([]byte(src), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want it to contain %q", tt.body, err, tt.want)
		}
	}
}
