// Package dropinenv checks the environment the drop-in Caddyfile reads and
// derives the few values a Caddyfile cannot compute itself (the site
// address and bind address from HHGATE_LISTEN, the optional parts' switches).
//
// Caddy replaces {$VAR} while it reads the file and cannot say which
// variable a bad value came from; Check runs first and names the variable.
// cmd/hhgate calls it before Caddy's run, start, validate, adapt and reload
// commands when the configuration is the drop-in file.
package dropinenv
