package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// kind is how a field is indexed, which decides how queries compare it.
type kind int

const (
	kindObject  kind = iota
	kindText         // analyzed: lower-cased tokens
	kindKeyword      // the whole string, as is
	kindLong         // integers
	kindDouble       // floating point numbers
	kindBool
	kindDate // milliseconds since the epoch, UTC
)

// field is one entry of an index's mapping.
type field struct {
	typ  string // the mapping type as OpenSearch names it ("text", "long", "integer", ...)
	kind kind
	// parent is the field a multi-field (title.keyword) reads its values
	// from; empty for a field of the source.
	parent string
	// sub is the multi-fields of a text field (name -> ignore_above).
	sub map[string]int
	// ignoreAbove: keyword strings longer than this are not indexed.
	ignoreAbove int
}

var mappingTypes = map[string]kind{
	"text": kindText, "keyword": kindKeyword,
	"long": kindLong, "integer": kindLong, "short": kindLong, "byte": kindLong,
	"double": kindDouble, "float": kindDouble, "half_float": kindDouble,
	"boolean": kindBool, "date": kindDate, "object": kindObject,
}

// mapping is an index's fields by full dotted path, multi-fields included.
type mapping map[string]*field

// parseMappings reads the "mappings" of an index creation:
// {"properties":{NAME:{"type":T, "properties":..., "fields":..., "ignore_above":N}}}.
// What the stand-in cannot honour (analyzers, formats, nested, ...) is
// refused by name.
func parseMappings(raw json.RawMessage) (mapping, *apiError) {
	m := mapping{}
	if len(raw) == 0 {
		return m, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, newError(400, "mapper_parsing_exception", "Failed to parse mapping: "+err.Error())
	}
	for k := range top {
		if k != "properties" {
			return nil, unsupported("[" + k + "] in mappings")
		}
	}
	if err := m.parseProperties("", top["properties"]); err != nil {
		return nil, err
	}
	return m, nil
}

func (m mapping) parseProperties(prefix string, raw json.RawMessage) *apiError {
	if len(raw) == 0 {
		return nil
	}
	var props map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil {
		return newError(400, "mapper_parsing_exception", "Failed to parse mapping: "+err.Error())
	}
	for name, def := range props {
		path := prefix + name
		typ := "object"
		if t, ok := def["type"]; ok {
			json.Unmarshal(t, &typ)
		}
		k, ok := mappingTypes[typ]
		if !ok {
			return unsupported("the [" + typ + "] field type (field [" + path + "])")
		}
		f := &field{typ: typ, kind: k}
		for key, v := range def {
			switch {
			case key == "type":
			case key == "properties" && k == kindObject:
				if err := m.parseProperties(path+".", v); err != nil {
					return err
				}
			case key == "ignore_above" && k == kindKeyword:
				if json.Unmarshal(v, &f.ignoreAbove) != nil {
					return newError(400, "mapper_parsing_exception", "ignore_above of ["+path+"] must be an integer")
				}
			case key == "fields" && k == kindText:
				var subs map[string]map[string]json.RawMessage
				if json.Unmarshal(v, &subs) != nil {
					return newError(400, "mapper_parsing_exception", "fields of ["+path+"] must be an object")
				}
				f.sub = map[string]int{}
				for sn, sd := range subs {
					var st string
					json.Unmarshal(sd["type"], &st)
					above := 0
					if a, ok := sd["ignore_above"]; ok {
						json.Unmarshal(a, &above)
					}
					if st != "keyword" || len(sd) > 2 || (len(sd) == 2 && sd["ignore_above"] == nil) {
						return unsupported("multi-field [" + path + "." + sn + "] other than {\"type\":\"keyword\",\"ignore_above\":N}")
					}
					f.sub[sn] = above
				}
			default:
				return unsupported("[" + key + "] in the mapping of [" + path + "]")
			}
		}
		m[path] = f
		for sn, above := range f.sub {
			m[path+"."+sn] = &field{typ: "keyword", kind: kindKeyword, parent: path, ignoreAbove: above}
		}
	}
	return nil
}

// render is the mapping as GET /INDEX shows it.
func (m mapping) render() map[string]any {
	root := map[string]any{}
	paths := make([]string, 0, len(m))
	for p, f := range m {
		if f.parent == "" {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := m[p]
		props := root
		parts := strings.Split(p, ".")
		for _, part := range parts[:len(parts)-1] {
			obj, _ := props[part].(map[string]any)
			if obj == nil {
				obj = map[string]any{}
				props[part] = obj
			}
			inner, _ := obj["properties"].(map[string]any)
			if inner == nil {
				inner = map[string]any{}
				obj["properties"] = inner
			}
			props = inner
		}
		last := parts[len(parts)-1]
		if f.kind == kindObject {
			if props[last] == nil {
				props[last] = map[string]any{"properties": map[string]any{}}
			}
			continue
		}
		def := map[string]any{"type": f.typ}
		if f.ignoreAbove > 0 {
			def["ignore_above"] = f.ignoreAbove
		}
		if len(f.sub) > 0 {
			subs := map[string]any{}
			for sn, above := range f.sub {
				s := map[string]any{"type": "keyword"}
				if above > 0 {
					s["ignore_above"] = above
				}
				subs[sn] = s
			}
			def["fields"] = subs
		}
		props[last] = def
	}
	return map[string]any{"properties": root}
}

// decodeSource decodes a document's source with numbers kept exact.
func decodeSource(src []byte) (map[string]any, error) {
	d := json.NewDecoder(strings.NewReader(string(src)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the source is not a JSON object")
	}
	return o, nil
}

// mapDocument checks a document against the mapping and returns the fields
// that dynamic mapping adds (a string becomes text with a keyword
// multi-field, or a date when it reads as one; an integer long, a fraction
// float; true/false boolean), without changing m. A value that does not fit
// its field is a mapper_parsing_exception, as in OpenSearch.
func (m mapping) mapDocument(id string, src map[string]any) (mapping, *apiError) {
	added := mapping{}
	var walk func(prefix string, v any) *apiError
	walk = func(path string, v any) *apiError {
		switch v := v.(type) {
		case nil:
			return nil
		case []any:
			for _, e := range v {
				if err := walk(path, e); err != nil {
					return err
				}
			}
			return nil
		}
		f := m[path]
		if f == nil {
			f = added[path]
		}
		if obj, ok := v.(map[string]any); ok {
			if f != nil && f.kind != kindObject {
				return newError(400, "mapper_parsing_exception", fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'", path, f.typ, id, preview(obj)))
			}
			if f == nil && path != "" {
				added[path] = &field{typ: "object", kind: kindObject}
			}
			for k, e := range obj {
				if strings.Trim(k, ".") == "" {
					return newError(400, "mapper_parsing_exception", "field name cannot be an empty string")
				}
				p := k
				if path != "" {
					p = path + "." + k
				}
				if err := walk(p, e); err != nil {
					return err
				}
			}
			return nil
		}
		if f == nil {
			f = dynamicField(v)
			added[path] = f
			for sn, above := range f.sub {
				added[path+"."+sn] = &field{typ: "keyword", kind: kindKeyword, parent: path, ignoreAbove: above}
			}
			return nil
		}
		if f.kind == kindObject {
			return newError(400, "mapper_parsing_exception", fmt.Sprintf("object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, path))
		}
		if _, ok := f.convert(v); !ok {
			return newError(400, "mapper_parsing_exception", fmt.Sprintf("failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'", path, f.typ, id, preview(v)))
		}
		return nil
	}
	if err := walk("", src); err != nil {
		return nil, err
	}
	return added, nil
}

func preview(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + preview(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprint(v)
	}
}

func dynamicField(v any) *field {
	switch v := v.(type) {
	case bool:
		return &field{typ: "boolean", kind: kindBool}
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return &field{typ: "long", kind: kindLong}
		}
		return &field{typ: "float", kind: kindDouble}
	case string:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			if _, ok := parseDetectedDate(v); ok {
				return &field{typ: "date", kind: kindDate}
			}
		}
	}
	return &field{typ: "text", kind: kindText, sub: map[string]int{"keyword": 256}}
}

// convert turns a source value into the form its field indexes: a string
// for text and keyword, float64 for numbers, bool, or int64 milliseconds
// for dates. ok is false when the value does not fit the field.
func (f *field) convert(v any) (any, bool) {
	switch f.kind {
	case kindText, kindKeyword:
		switch v := v.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		case bool:
			return strconv.FormatBool(v), true
		}
	case kindLong, kindDouble:
		var x float64
		var err error
		switch v := v.(type) {
		case json.Number:
			x, err = v.Float64()
		case string:
			x, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
		case float64:
			x = v
		default:
			return nil, false
		}
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		if f.kind == kindLong {
			x = math.Trunc(x)
		} else if f.typ == "float" {
			x = float64(float32(x))
		}
		return x, true
	case kindBool:
		switch v := v.(type) {
		case bool:
			return v, true
		case string:
			switch v {
			case "true":
				return true, true
			case "false", "":
				return false, true
			}
		}
	case kindDate:
		switch v := v.(type) {
		case string:
			if t, ok := parseDate(v); ok {
				return t, true
			}
		case json.Number:
			if ms, err := v.Int64(); err == nil {
				return ms, true
			}
		case float64:
			return int64(v), true
		}
	}
	return nil, false
}

// values returns the indexed values of a field in a document (a multi-field
// reads its parent's), converted for comparison; values that do not convert
// (which mapDocument refused on write) are skipped.
func (m mapping) values(path string, src map[string]any) []any {
	f := m[path]
	if f == nil || f.kind == kindObject {
		return nil
	}
	read := path
	if f.parent != "" {
		read = f.parent
	}
	var out []any
	for _, raw := range lookup(src, read) {
		v, ok := f.convert(raw)
		if !ok {
			continue
		}
		if s, isStr := v.(string); isStr && f.kind == kindKeyword && f.ignoreAbove > 0 && len([]rune(s)) > f.ignoreAbove {
			continue
		}
		out = append(out, v)
	}
	return out
}

// lookup returns the leaf values at a dotted path, through objects and
// arrays, as OpenSearch flattens them.
func lookup(v any, path string) []any {
	var out []any
	var walk func(v any, parts []string)
	walk = func(v any, parts []string) {
		switch v := v.(type) {
		case nil:
		case []any:
			for _, e := range v {
				walk(e, parts)
			}
		case map[string]any:
			if len(parts) == 0 {
				return
			}
			// A key may itself hold dots ({"a.b": 1}), as OpenSearch allows.
			for i := len(parts); i >= 1; i-- {
				if e, ok := v[strings.Join(parts[:i], ".")]; ok {
					walk(e, parts[i:])
				}
			}
		default:
			if len(parts) == 0 {
				out = append(out, v)
			}
		}
	}
	walk(v, strings.Split(path, "."))
	return out
}

// analyze approximates OpenSearch's standard analyzer: words of letters,
// digits and marks (joined across an inner '.', '\” or '_'), each Han,
// Hiragana or Thai character a word of its own, all lower-cased. It is
// close to the Unicode word-break rules the standard tokenizer follows, not
// identical to them.
func analyze(s string) []string {
	var tokens []string
	rs := []rune(s)
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			tokens = append(tokens, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	wordRune := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
	}
	for i, r := range rs {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Thai, r):
			flush()
			tokens = append(tokens, string(r))
		case wordRune(r):
			cur = append(cur, r)
		case (r == '.' || r == '\'' || r == '’') && len(cur) > 0 && i+1 < len(rs) && wordRune(rs[i+1]) &&
			!unicode.Is(unicode.Han, rs[i+1]) && !unicode.Is(unicode.Hiragana, rs[i+1]):
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return tokens
}

// parseDetectedDate reads what dynamic mapping takes for a date: the
// strict_date_optional_time format (four-digit year, then optional month,
// day, time and zone) or yyyy/MM/dd with an optional time.
func parseDetectedDate(s string) (int64, bool) {
	return parseDate(s)
}

var dateLayouts = []string{
	"2006", "2006-01", "2006-01-02",
	"2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
	"2006-01-02T15Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
	"2006/01/02", "2006/01/02 15:04:05", "2006/01/02 15:04:05 Z0700", "2006/01/02 Z0700",
}

// parseDate reads a date as the default format of a date field does
// (strict_date_optional_time||epoch_millis) and returns epoch milliseconds.
func parseDate(s string) (int64, bool) {
	if len(s) >= 4 && s[0] >= '0' && s[0] <= '9' {
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UnixMilli(), true
			}
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, true
	}
	return 0, false
}
