package standin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// sourceFilter is _source filtering: off, or includes and excludes (field
// paths with * wildcards; a path names an object and all below it).
type sourceFilter struct {
	off                bool
	includes, excludes []string
}

func parseSourceFilter(raw json.RawMessage) (*sourceFilter, *apiError) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return &sourceFilter{off: !b}, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return &sourceFilter{includes: []string{one}}, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return &sourceFilter{includes: list}, nil
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(raw, &o) != nil {
		return nil, parsingError("[_source] must be a boolean, a string, an array or an object")
	}
	f := &sourceFilter{}
	for k, v := range o {
		var dst *[]string
		switch k {
		case "includes", "include":
			dst = &f.includes
		case "excludes", "exclude":
			dst = &f.excludes
		default:
			return nil, parsingError("[_source] unknown key [" + k + "]")
		}
		if json.Unmarshal(v, dst) != nil {
			var s string
			if json.Unmarshal(v, &s) != nil {
				return nil, parsingError("[_source] " + k + " must be an array of strings")
			}
			*dst = []string{s}
		}
	}
	return f, nil
}

// sourceFilterParams reads _source, _source_includes and _source_excludes
// from the URL.
func sourceFilterParams(r *http.Request) (*sourceFilter, *apiError) {
	q := r.URL.Query()
	f := &sourceFilter{}
	if v := q.Get("_source"); v != "" {
		switch v {
		case "true":
		case "false":
			f.off = true
		default:
			f.includes = strings.Split(v, ",")
		}
	}
	if v := q.Get("_source_includes"); v != "" {
		f.includes = strings.Split(v, ",")
	}
	if v := q.Get("_source_excludes"); v != "" {
		f.excludes = strings.Split(v, ",")
	}
	return f, nil
}

// apply returns the source to show: the stored bytes unchanged when
// nothing is filtered. ok is false when _source is off.
func (f *sourceFilter) apply(d *doc) (any, bool) {
	if f == nil || (!f.off && len(f.includes) == 0 && len(f.excludes) == 0) {
		return d.source, true
	}
	if f.off {
		return nil, false
	}
	return f.filter("", d.parsed), true
}

func (f *sourceFilter) filter(prefix string, m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		p := prefix + k
		if pathMatches(f.excludes, p) {
			continue
		}
		if o, ok := v.(map[string]any); ok {
			if len(f.includes) == 0 || pathMatches(f.includes, p) {
				out[k] = f.filter(p+".", o)
				continue
			}
			if sub := f.filter(p+".", o); len(sub) > 0 {
				out[k] = sub
			}
			continue
		}
		if len(f.includes) == 0 || pathMatches(f.includes, p) {
			out[k] = v
		}
	}
	return out
}

// pathMatches tells whether a field path is one a pattern names, or lies
// below one.
func pathMatches(patterns []string, p string) bool {
	for _, pat := range patterns {
		if globMatch(pat, p) {
			return true
		}
		for i := strings.IndexByte(p, '.'); i >= 0; {
			if globMatch(pat, p[:i]) {
				return true
			}
			j := strings.IndexByte(p[i+1:], '.')
			if j < 0 {
				break
			}
			i += j + 1
		}
	}
	return false
}
