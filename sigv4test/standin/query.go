package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// node is a parsed query. compile binds it to one index's mapping, where
// values are interpreted by field type; errors of interpretation (a term
// that is not a number for a long field) come from compile, as OpenSearch's
// query_shard_exception does.
type node interface {
	compile(c *compiler) (matcher, *apiError)
}

// matcher tells whether a document matches.
type matcher func(d *doc) bool

type compiler struct {
	index string
	m     mapping
	now   time.Time
}

func (c *compiler) shardError(reason string) *apiError {
	e := newError(400, "query_shard_exception", reason)
	e.extra = map[string]any{"index": c.index}
	return e
}

// queryNames are OpenSearch's query types, so that one the stand-in does
// not implement is refused by name, and a name OpenSearch does not know
// gets OpenSearch's "unknown query".
var queryNames = map[string]bool{
	"match": true, "match_all": true, "match_none": true, "term": true, "terms": true, "range": true,
	"bool": true, "ids": true, "query_string": true, "exists": true, "prefix": true,
	"match_phrase": true, "match_phrase_prefix": true, "match_bool_prefix": true, "multi_match": true,
	"combined_fields": true, "simple_query_string": true, "intervals": true, "fuzzy": true,
	"regexp": true, "wildcard": true, "terms_set": true, "script": true, "script_score": true,
	"function_score": true, "nested": true, "has_child": true, "has_parent": true, "parent_id": true,
	"geo_bounding_box": true, "geo_distance": true, "geo_polygon": true, "geo_shape": true, "xy_shape": true,
	"more_like_this": true, "percolate": true, "rank_feature": true, "wrapper": true, "boosting": true,
	"constant_score": true, "dis_max": true, "distance_feature": true, "pinned": true, "knn": true,
	"neural": true, "hybrid": true, "span_term": true, "span_near": true, "span_or": true, "span_not": true,
	"span_first": true, "span_containing": true, "span_within": true, "span_multi": true,
	"field_masking_span": true, "template": true,
}

// parseQuery reads one query object: {"TYPE": BODY}.
func parseQuery(raw json.RawMessage) (node, *apiError) {
	var q map[string]json.RawMessage
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, parsingError("[query] malformed query, expected an object: " + err.Error())
	}
	if len(q) != 1 {
		if len(q) == 0 {
			return nil, parsingError("query malformed, empty clause found")
		}
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, parsingError("[" + names[0] + "] malformed query, expected [END_OBJECT] but found [FIELD_NAME]")
	}
	for typ, body := range q {
		switch typ {
		case "match_all":
			return parseMatchAll(typ, body, true)
		case "match_none":
			return parseMatchAll(typ, body, false)
		case "term":
			return parseTerm(body)
		case "terms":
			return parseTerms(body)
		case "range":
			return parseRange(body)
		case "match":
			return parseMatch(body)
		case "bool":
			return parseBool(body)
		case "ids":
			return parseIDs(body)
		case "exists":
			return parseExists(body)
		case "prefix":
			return parsePrefix(body)
		case "query_string":
			return parseQueryString(body)
		case "match_phrase":
			return parseMatchPhrase(body)
		case "multi_match":
			return parseMultiMatch(body)
		}
		if queryNames[typ] {
			return nil, unsupported("the [" + typ + "] query")
		}
		return nil, parsingError("unknown query [" + typ + "]")
	}
	panic("unreachable")
}

// options reads an object's keys, refusing any not in allowed; "boost"
// and "_name" are always allowed (scores are not computed).
func options(where string, body json.RawMessage, allowed ...string) (map[string]json.RawMessage, *apiError) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, parsingError("[" + where + "] query malformed: " + err.Error())
	}
	for k := range o {
		if k == "boost" || k == "_name" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, unsupported("[" + k + "] in the [" + where + "] query")
		}
	}
	return o, nil
}

// fieldQuery reads {"FIELD": VALUE} or {"FIELD": {"KEY": VALUE, ...}} (the
// long form when the value is an object), returning the field and, for the
// long form, its options; valueKey names the key of the value there.
func fieldQuery(where string, body json.RawMessage, valueKey string, allowed ...string) (string, json.RawMessage, map[string]json.RawMessage, *apiError) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil {
		return "", nil, nil, parsingError("[" + where + "] query malformed: " + err.Error())
	}
	var fieldName string
	var val json.RawMessage
	n := 0
	for k, v := range o {
		if k == "boost" || k == "_name" {
			continue
		}
		fieldName, val = k, v
		n++
	}
	if n != 1 {
		return "", nil, nil, parsingError("[" + where + "] query doesn't support multiple fields, or has none")
	}
	if t := strings.TrimSpace(string(val)); strings.HasPrefix(t, "{") {
		opts, err := options(where, val, append(allowed, valueKey)...)
		if err != nil {
			return "", nil, nil, err
		}
		v, ok := opts[valueKey]
		if !ok {
			return "", nil, nil, parsingError("[" + where + "] query does not have a [" + valueKey + "] for field [" + fieldName + "]")
		}
		return fieldName, v, opts, nil
	}
	return fieldName, val, map[string]json.RawMessage{}, nil
}

// scalar decodes a JSON scalar (string, number, boolean), refusing objects,
// arrays and null.
func scalar(where string, raw json.RawMessage) (any, *apiError) {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, parsingError("[" + where + "] malformed value: " + err.Error())
	}
	switch v.(type) {
	case string, json.Number, bool:
		return v, nil
	}
	return nil, parsingError("[" + where + "] query does not support a value of " + string(raw))
}

func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

type matchAllNode struct{ all bool }

func parseMatchAll(typ string, body json.RawMessage, all bool) (node, *apiError) {
	if _, err := options(typ, body); err != nil {
		return nil, err
	}
	return matchAllNode{all}, nil
}

func (n matchAllNode) compile(*compiler) (matcher, *apiError) {
	return func(*doc) bool { return n.all }, nil
}

// valueMatcher compiles an exact comparison of a term with a field's
// values, by the field's type: a text field's tokens, a keyword's whole
// string, a number, a boolean, a date. ok is false when the field is not
// mapped (nothing matches). lenient turns a value that does not fit the
// field into no match, instead of an error.
func (c *compiler) termValue(fieldName string, v any, caseInsensitive, lenient bool) (func(x any) bool, bool, *apiError) {
	f := c.m[fieldName]
	if f == nil || f.kind == kindObject {
		return nil, false, nil
	}
	s := asString(v)
	switch f.kind {
	case kindText, kindKeyword:
		if caseInsensitive {
			return func(x any) bool { return strings.EqualFold(x.(string), s) }, true, nil
		}
		return func(x any) bool { return x.(string) == s }, true, nil
	}
	want, ok := f.convert(v)
	if !ok {
		if lenient {
			return nil, false, nil
		}
		switch f.kind {
		case kindBool:
			return nil, false, c.shardError("failed to create query: Can't parse boolean value [" + s + "], expected [true] or [false]")
		case kindDate:
			return nil, false, c.shardError("failed to create query: failed to parse date field [" + s + "] with format [strict_date_optional_time||epoch_millis]")
		default:
			return nil, false, c.shardError("failed to create query: For input string: \"" + s + "\"")
		}
	}
	if f.kind == kindLong {
		if x := want.(float64); x != math.Trunc(x) {
			return func(any) bool { return false }, true, nil
		}
	}
	return func(x any) bool { return x == want }, true, nil
}

// fieldValues returns a document's values of a field, a text field's as
// its tokens.
func (c *compiler) fieldValues(fieldName string, d *doc) []any {
	vals := c.m.values(fieldName, d.parsed)
	if f := c.m[fieldName]; f != nil && f.kind == kindText {
		var toks []any
		for _, v := range vals {
			for _, t := range analyze(v.(string)) {
				toks = append(toks, t)
			}
		}
		return toks
	}
	return vals
}

func (c *compiler) anyValue(fieldName string, test func(x any) bool) matcher {
	return func(d *doc) bool {
		for _, v := range c.fieldValues(fieldName, d) {
			if test(v) {
				return true
			}
		}
		return false
	}
}

func never(*doc) bool { return false }
