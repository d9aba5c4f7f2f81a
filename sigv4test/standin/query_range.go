package standin

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rangeNode compares a field's values with bounds by its type: numbers,
// dates (with date math: now-1d/d, 2024-01-01||+1M), strings (a keyword's
// whole value, a text field's tokens) in byte order.
type rangeNode struct {
	field  string
	bounds map[string]any // gt, gte, lt, lte
}

func parseRange(body json.RawMessage) (node, *apiError) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil || len(o) != 1 {
		return nil, parsingError("[range] query malformed, expected one field")
	}
	for f, raw := range o {
		opts, err := options("range", raw, "gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper")
		if err != nil {
			return nil, err
		}
		// from, to, include_lower and include_upper are the older form,
		// which OpenSearch still reads (olivere/elastic writes it): from is
		// gte, or gt when include_lower is false; to is lte, or lt.
		for _, old := range []struct{ key, incl, with, without string }{{"from", "include_lower", "gte", "gt"}, {"to", "include_upper", "lte", "lt"}} {
			v, ok := opts[old.key]
			if !ok {
				continue
			}
			incl := true
			if b, ok := opts[old.incl]; ok {
				json.Unmarshal(b, &incl)
			}
			if string(v) != "null" {
				if incl {
					opts[old.with] = v
				} else {
					opts[old.without] = v
				}
			}
		}
		n := rangeNode{field: f, bounds: map[string]any{}}
		for _, k := range []string{"gt", "gte", "lt", "lte"} {
			if v, ok := opts[k]; ok && string(v) != "null" {
				s, err := scalar("range", v)
				if err != nil {
					return nil, err
				}
				n.bounds[k] = s
			}
		}
		return n, nil
	}
	panic("unreachable")
}

func (n rangeNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil || f.kind == kindObject {
		return never, nil
	}
	type bound struct {
		op string
		v  any
	}
	var bs []bound
	for op, raw := range n.bounds {
		var v any
		switch f.kind {
		case kindText, kindKeyword:
			v = asString(raw)
		case kindDate:
			ms, err := dateMath(asString(raw), c.now, op == "gt" || op == "lte")
			if err != nil {
				return nil, c.shardError("failed to create query: failed to parse date field [" + asString(raw) + "] with format [strict_date_optional_time||epoch_millis]: " + err.Error())
			}
			v = ms
		default:
			x, ok := f.convert(raw)
			if !ok {
				return nil, c.shardError("failed to create query: For input string: \"" + asString(raw) + "\"")
			}
			v = x
		}
		bs = append(bs, bound{op, v})
	}
	cmp := func(a, b any) int {
		switch a := a.(type) {
		case string:
			return strings.Compare(a, b.(string))
		case float64:
			bf := b.(float64)
			switch {
			case a < bf:
				return -1
			case a > bf:
				return 1
			}
			return 0
		case int64:
			bi := b.(int64)
			switch {
			case a < bi:
				return -1
			case a > bi:
				return 1
			}
			return 0
		case bool:
			ai, bi := 0, 0
			if a {
				ai = 1
			}
			if b.(bool) {
				bi = 1
			}
			return ai - bi
		}
		return 0
	}
	return c.anyValue(n.field, func(x any) bool {
		for _, b := range bs {
			r := cmp(x, b.v)
			switch b.op {
			case "gt":
				if r <= 0 {
					return false
				}
			case "gte":
				if r < 0 {
					return false
				}
			case "lt":
				if r >= 0 {
					return false
				}
			case "lte":
				if r > 0 {
					return false
				}
			}
		}
		return true
	}), nil
}

var mathPattern = regexp.MustCompile(`^([+-]\d+[yMwdhHms])*(/[yMwdhHms])?$`)
var mathStep = regexp.MustCompile(`([+-])(\d+)([yMwdhHms])`)

// dateMath reads a date bound: a date, or "now" or "DATE||" followed by
// +N or -N units and an optional /unit rounding (down, or up to the last
// millisecond of the unit when roundUp, as gt and lte do).
func dateMath(s string, now time.Time, roundUp bool) (int64, error) {
	var base time.Time
	var expr string
	switch {
	case strings.HasPrefix(s, "now"):
		base, expr = now.UTC(), s[3:]
	case strings.Contains(s, "||"):
		d, e, _ := strings.Cut(s, "||")
		ms, ok := parseDate(d)
		if !ok {
			return 0, fmt.Errorf("not a date")
		}
		base, expr = time.UnixMilli(ms).UTC(), e
	default:
		ms, ok := parseDate(s)
		if !ok {
			return 0, fmt.Errorf("not a date")
		}
		return ms, nil
	}
	if !mathPattern.MatchString(expr) {
		return 0, fmt.Errorf("unsupported date math [%s]", expr)
	}
	ops, round, _ := strings.Cut(expr, "/")
	t := base
	for _, m := range mathStep.FindAllStringSubmatch(ops, -1) {
		k, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			k = -k
		}
		switch m[3] {
		case "y":
			t = t.AddDate(k, 0, 0)
		case "M":
			t = t.AddDate(0, k, 0)
		case "w":
			t = t.AddDate(0, 0, 7*k)
		case "d":
			t = t.AddDate(0, 0, k)
		case "h", "H":
			t = t.Add(time.Duration(k) * time.Hour)
		case "m":
			t = t.Add(time.Duration(k) * time.Minute)
		case "s":
			t = t.Add(time.Duration(k) * time.Second)
		}
	}
	if round != "" || strings.HasSuffix(expr, "/") {
		var start, next time.Time
		y, mo, d := t.Date()
		switch round {
		case "y":
			start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
			next = start.AddDate(1, 0, 0)
		case "M":
			start = time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
			next = start.AddDate(0, 1, 0)
		case "w":
			start = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
			start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
			next = start.AddDate(0, 0, 7)
		case "d":
			start = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
			next = start.AddDate(0, 0, 1)
		case "h", "H":
			start = t.Truncate(time.Hour)
			next = start.Add(time.Hour)
		case "m":
			start = t.Truncate(time.Minute)
			next = start.Add(time.Minute)
		case "s":
			start = t.Truncate(time.Second)
			next = start.Add(time.Second)
		}
		if roundUp {
			return next.UnixMilli() - 1, nil
		}
		return start.UnixMilli(), nil
	}
	return t.UnixMilli(), nil
}
