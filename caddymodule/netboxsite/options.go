package netboxsite

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Options is the Caddyfile option table of one hhgate handler block (or of
// the netbox global option): each option's name and how its arguments are
// read. Every handler's UnmarshalCaddyfile is UnmarshalBlock over its
// tables, so that they read alike and their errors name the option.
type Options map[string]ReadOption

// ReadOption reads the arguments of option, the one d is on.
type ReadOption func(d *caddyfile.Dispenser, option string) error

// UnmarshalBlock reads the block of directive d is on: no inline
// argument, then each option from the first table that has it.
func UnmarshalBlock(d *caddyfile.Dispenser, directive string, tables ...Options) error {
	d.Next() // the directive's name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		option := d.Val()
		read := lookup(option, tables)
		if read == nil {
			return d.Errf("unrecognized %s option '%s'", directive, option)
		}
		if err := read(d, option); err != nil {
			return err
		}
	}
	return nil
}

func lookup(option string, tables []Options) ReadOption {
	for _, t := range tables {
		if read, ok := t[option]; ok {
			return read
		}
	}
	return nil
}

// String reads exactly one value.
func String(dst *string) ReadOption {
	return func(d *caddyfile.Dispenser, _ string) error {
		if !d.AllArgs(dst) {
			return d.ArgErr()
		}
		return nil
	}
}

// OptionalString reads one value or none; none leaves dst unset, so that
// an empty {$ENV} placeholder fails later with the option's name.
func OptionalString(dst *string) ReadOption {
	return func(d *caddyfile.Dispenser, _ string) error {
		values := d.RemainingArgs()
		if len(values) > 1 {
			return d.ArgErr()
		}
		if len(values) == 1 {
			*dst = values[0]
		}
		return nil
	}
}

// List reads one or more values and adds them to dst (the option may
// repeat).
func List(dst *[]string) ReadOption {
	return func(d *caddyfile.Dispenser, _ string) error {
		values := d.RemainingArgs()
		if len(values) == 0 {
			return d.ArgErr()
		}
		*dst = append(*dst, values...)
		return nil
	}
}

// OptionalList reads any number of values, none included, and adds them.
func OptionalList(dst *[]string) ReadOption {
	return func(d *caddyfile.Dispenser, _ string) error {
		*dst = append(*dst, d.RemainingArgs()...)
		return nil
	}
}

// Duration reads one Caddy duration ("90s", "5m", "1d").
func Duration(dst *caddy.Duration) ReadOption { return duration(dst, false) }

// PositiveDuration reads one Caddy duration above zero.
func PositiveDuration(dst *caddy.Duration) ReadOption { return duration(dst, true) }

func duration(dst *caddy.Duration, positive bool) ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		dur, err := caddy.ParseDuration(value)
		if err != nil {
			return d.Errf("%s: %v", option, err)
		}
		if positive && dur <= 0 {
			return d.Errf("%s: %q must be positive", option, value)
		}
		*dst = caddy.Duration(dur)
		return nil
	}
}

// Int reads one whole number.
func Int(dst *int) ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		n, err := strconv.Atoi(value)
		if err != nil {
			return d.Errf("%s: %q is not a number", option, value)
		}
		*dst = n
		return nil
	}
}

// Bool reads true or false into a setting whose absence means its default.
func Bool(dst **bool) ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var value string
		if !d.AllArgs(&value) {
			return d.ArgErr()
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return d.Errf("%s: %q is not true or false", option, value)
		}
		*dst = &b
		return nil
	}
}

// Flag takes no value: the option's presence turns it on.
func Flag(dst *bool) ReadOption {
	return func(d *caddyfile.Dispenser, _ string) error {
		if d.NextArg() {
			return d.ArgErr()
		}
		*dst = true
		return nil
	}
}

// Switch reads an optional on/off (or true/false); none means on, so that
// an environment variable can decide.
func Switch(dst *bool) ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		args := d.RemainingArgs()
		switch {
		case len(args) == 0:
			*dst = true
			return nil
		case len(args) > 1:
			return d.ArgErr()
		}
		switch strings.ToLower(args[0]) {
		case "on", "true":
			*dst = true
		case "off", "false":
			*dst = false
		default:
			return d.Errf("%s: %q is not on or off", option, args[0])
		}
		return nil
	}
}

// Fields reads "<field> <value>" into the named field of a group (the
// claim and header options: `claim email mail`).
func Fields(fields map[string]*string, want string) ReadOption {
	return func(d *caddyfile.Dispenser, option string) error {
		var field, value string
		if !d.AllArgs(&field, &value) {
			return d.ArgErr()
		}
		dst, ok := fields[field]
		if !ok {
			return d.Errf("%s: unknown field '%s' (want %s)", option, field, want)
		}
		*dst = value
		return nil
	}
}
