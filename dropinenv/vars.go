package dropinenv

// variable is one environment variable the drop-in Caddyfile reads.
type variable struct {
	name string
	// def is the value used when the variable is unset ("" for none).
	def string
	// check validates a set value; nil accepts anything.
	check func(value string, c *checker) error
	// secret values are never printed, not even in errors.
	secret bool
	// file is true for <SECRET>_FILE: a path to a readable, non-empty file.
	file bool
}

// Defaults the drop-in Caddyfile documents.
const (
	DefaultListen     = ":8080"
	DefaultUpstream   = "127.0.0.1:8001"
	DefaultStaticRoot = "/opt/netbox/netbox/static"
)

// derivedPrefix names the variables Check sets for the Caddyfile.
const derivedPrefix = "HHGATE_DERIVED_"

// variables is every variable the drop-in Caddyfile reads.
var variables = []variable{
	{name: "HHGATE_LISTEN", def: DefaultListen, check: checkListen},
	{name: "HHGATE_BIND", check: checkBind},
	{name: "HHGATE_TLS", def: "auto", check: oneOf("auto", "off", "internal")},
	{name: "HHGATE_ADMIN", def: "localhost:2019", check: checkAdmin},
	{name: "HHGATE_LOG_LEVEL", def: "INFO", check: oneOfFold("DEBUG", "INFO", "WARN", "ERROR")},
	{name: "HHGATE_TRUSTED_PROXIES", check: checkCIDRs},
	{name: "HHGATE_INJECT_SCRIPT", def: "on", check: oneOf("on", "off")},
	{name: "NETBOX_UPSTREAM", def: DefaultUpstream, check: checkUpstream},
	{name: "NETBOX_BASE_PATH", def: "/", check: checkBasePath},
	{name: "NETBOX_LOGIN_PATH", check: checkPath},
	{name: "NETBOX_STATIC_ROOT", def: DefaultStaticRoot, check: checkStaticRoot},

	{name: "HHGATE_SSO", def: "off", check: oneOf("on", "off")},
	{name: "HHGATE_OIDC_ISSUER", check: checkIssuer},
	{name: "HHGATE_OIDC_CLIENT_ID"},
	{name: "HHGATE_OIDC_CLIENT_SECRET", secret: true},
	{name: "HHGATE_OIDC_CLIENT_SECRET_FILE", file: true},
	{name: "HHGATE_SESSION_KEY", secret: true},
	{name: "HHGATE_SESSION_KEY_FILE", file: true},
	{name: "HHGATE_SESSION_KEY_PREVIOUS", secret: true},
	{name: "HHGATE_SESSION_KEY_PREVIOUS_FILE", file: true},
	{name: "HHGATE_SESSION_TTL", def: "12h", check: checkDuration},
	{name: "HHGATE_OIDC_POST_LOGOUT_URL", check: checkURLOrPath},

	{name: "HHGATE_SYNC", def: "off", check: oneOf("on", "off")},
	{name: "HHGATE_NETBOX_TOKEN", secret: true},
	{name: "HHGATE_NETBOX_TOKEN_FILE", file: true},
	{name: "HHGATE_SYNC_TIMEOUT", def: "5m", check: checkDuration},
	{name: "HHGATE_SYNC_PRUNE", def: "true", check: oneOf("true", "false")},
	{name: "HHGATE_SYNC_CONTROLLER", def: "on", check: oneOf("on", "off")},
	{name: "HHGATE_SYNC_DEBOUNCE", def: "5s", check: checkDuration},
	{name: "HHGATE_SYNC_MAX_PRUNE", def: "50%", check: checkPercent},
	{name: "HHGATE_SYNC_FULL_COMPARE_EVERY", def: "1h", check: checkDurationOrOff},
}

// requiredWhen lists, per switch, the settings the switched-on part needs;
// a secret is given as the variable or its _FILE form.
var requiredWhen = map[string][]string{
	"HHGATE_SSO":  {"HHGATE_OIDC_ISSUER", "HHGATE_OIDC_CLIENT_ID", "HHGATE_OIDC_CLIENT_SECRET", "HHGATE_SESSION_KEY"},
	"HHGATE_SYNC": {"HHGATE_NETBOX_TOKEN"},
}

func lookupVariable(name string) (variable, bool) {
	for _, v := range variables {
		if v.name == name {
			return v, true
		}
	}
	return variable{}, false
}
