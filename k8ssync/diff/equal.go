package diff

import (
	"encoding/json"
	"math"
	"strconv"
)

// jsonEqual reports whether two decoded JSON values are the same JSON
// document. The two sides come from different decoders: Kubernetes objects
// hold int64 and float64, NetBox objects json.Number. Numbers are compared
// by value, maps by content (key order never matters), and nil only equals
// nil.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, found := y[k]
			if !found || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	xn, ok := toNumber(a)
	if !ok {
		return false
	}
	yn, ok := toNumber(b)
	return ok && xn.equal(yn)
}

// number is a JSON number: exact when it is an integer that fits int64.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) equal(m number) bool {
	if n.isInt && m.isInt {
		return n.i == m.i
	}
	return n.float() == m.float()
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

func toNumber(v any) (number, bool) {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return number{isInt: true, i: i}, true
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return number{}, false
		}
		return floatNumber(f), true
	case int64:
		return number{isInt: true, i: t}, true
	case int:
		return number{isInt: true, i: int64(t)}, true
	case int32:
		return number{isInt: true, i: int64(t)}, true
	case float64:
		return floatNumber(t), true
	case float32:
		return floatNumber(float64(t)), true
	}
	return number{}, false
}

// floatNumber keeps integral floats comparable with integers: Python
// renders 2.0 as "2.0", Kubernetes may hold it as int64 2.
func floatNumber(f float64) number {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return number{isInt: true, i: int64(f)}
	}
	return number{f: f}
}

// specEqual compares specs where an absent spec and {} are the same: the
// sync writes {} for a CR without spec.
func specEqual(cr, nb any) bool {
	if isEmpty(cr) && isEmpty(nb) {
		return true
	}
	return jsonEqual(cr, nb)
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}

// stringMapEqual compares a CR's labels or annotations with NetBox's JSON
// field, where null, a missing field and {} all mean "none".
func stringMapEqual(cr map[string]string, nb any) bool {
	if nb == nil {
		return len(cr) == 0
	}
	m, ok := nb.(map[string]any)
	if !ok || len(m) != len(cr) {
		return false
	}
	for k, v := range cr {
		s, ok := m[k].(string)
		if !ok || s != v {
			return false
		}
	}
	return true
}
