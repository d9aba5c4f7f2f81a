package standin

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
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

type termNode struct {
	field           string
	value           any
	caseInsensitive bool
}

func parseTerm(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("term", body, "value", "case_insensitive")
	if err != nil {
		return nil, err
	}
	v, err := scalar("term", raw)
	if err != nil {
		return nil, err
	}
	n := termNode{field: f, value: v}
	if ci, ok := opts["case_insensitive"]; ok {
		json.Unmarshal(ci, &n.caseInsensitive)
	}
	return n, nil
}

func (n termNode) compile(c *compiler) (matcher, *apiError) {
	test, ok, err := c.termValue(n.field, n.value, n.caseInsensitive, false)
	if err != nil || !ok {
		return never, err
	}
	return c.anyValue(n.field, test), nil
}

type termsNode struct {
	field  string
	values []any
}

func parseTerms(body json.RawMessage) (node, *apiError) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, parsingError("[terms] query malformed: " + err.Error())
	}
	var n termsNode
	for k, v := range o {
		if k == "boost" || k == "_name" {
			continue
		}
		if n.field != "" {
			return nil, parsingError("[terms] query does not support multiple fields")
		}
		n.field = k
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, unsupported("the terms lookup of the [terms] query (field [" + k + "] is not an array)")
		}
		for _, e := range list {
			s, err := scalar("terms", e)
			if err != nil {
				return nil, err
			}
			n.values = append(n.values, s)
		}
	}
	if n.field == "" {
		return nil, parsingError("[terms] query requires a field")
	}
	return n, nil
}

func (n termsNode) compile(c *compiler) (matcher, *apiError) {
	var tests []func(any) bool
	for _, v := range n.values {
		t, ok, err := c.termValue(n.field, v, false, false)
		if err != nil {
			return nil, err
		}
		if ok {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		return never, nil
	}
	return c.anyValue(n.field, func(x any) bool {
		for _, t := range tests {
			if t(x) {
				return true
			}
		}
		return false
	}), nil
}

type idsNode struct{ ids map[string]bool }

func parseIDs(body json.RawMessage) (node, *apiError) {
	o, err := options("ids", body, "values")
	if err != nil {
		return nil, err
	}
	var ids []string
	if e := json.Unmarshal(o["values"], &ids); e != nil && o["values"] != nil {
		return nil, parsingError("[ids] query: values must be an array of strings")
	}
	n := idsNode{ids: map[string]bool{}}
	for _, id := range ids {
		n.ids[id] = true
	}
	return n, nil
}

func (n idsNode) compile(*compiler) (matcher, *apiError) {
	return func(d *doc) bool { return n.ids[d.id] }, nil
}

type existsNode struct{ field string }

func parseExists(body json.RawMessage) (node, *apiError) {
	o, err := options("exists", body, "field")
	if err != nil {
		return nil, err
	}
	var f string
	if json.Unmarshal(o["field"], &f) != nil || f == "" {
		return nil, parsingError("[exists] must be provided with a [field]")
	}
	return existsNode{f}, nil
}

func (n existsNode) compile(c *compiler) (matcher, *apiError) {
	if f := c.m[n.field]; f != nil && f.kind == kindObject {
		prefix := n.field + "."
		var leaves []string
		for p, g := range c.m {
			if strings.HasPrefix(p, prefix) && g.kind != kindObject {
				leaves = append(leaves, p)
			}
		}
		return func(d *doc) bool {
			for _, p := range leaves {
				if len(c.m.values(p, d.parsed)) > 0 {
					return true
				}
			}
			return false
		}, nil
	}
	return func(d *doc) bool { return len(c.m.values(n.field, d.parsed)) > 0 }, nil
}

type prefixNode struct {
	field, value    string
	caseInsensitive bool
}

func parsePrefix(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("prefix", body, "value", "case_insensitive")
	if err != nil {
		return nil, err
	}
	v, err := scalar("prefix", raw)
	if err != nil {
		return nil, err
	}
	n := prefixNode{field: f, value: asString(v)}
	if ci, ok := opts["case_insensitive"]; ok {
		json.Unmarshal(ci, &n.caseInsensitive)
	}
	return n, nil
}

func (n prefixNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil {
		return never, nil
	}
	if f.kind != kindText && f.kind != kindKeyword {
		return nil, c.shardError("Can only use prefix queries on keyword and text fields - not on [" + n.field + "] which is of type [" + f.typ + "]")
	}
	return c.anyValue(n.field, func(x any) bool {
		s := x.(string)
		if n.caseInsensitive {
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(n.value))
		}
		return strings.HasPrefix(s, n.value)
	}), nil
}

// matchNode is a match query: the text analyzed as the field is (a text
// field's tokens; any other type compares the whole value), any token
// (operator or) or all of them (and), or minimum_should_match of them.
type matchNode struct {
	field   string
	query   any
	and     bool
	msm     string
	lenient bool
	zeroAll bool
}

func parseMatch(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("match", body, "query", "operator", "minimum_should_match", "lenient", "zero_terms_query", "auto_generate_synonyms_phrase_query")
	if err != nil {
		return nil, err
	}
	v, err := scalar("match", raw)
	if err != nil {
		return nil, err
	}
	n := matchNode{field: f, query: v}
	if op, ok := opts["operator"]; ok {
		var s string
		json.Unmarshal(op, &s)
		switch strings.ToLower(s) {
		case "and":
			n.and = true
		case "or":
		default:
			return nil, parsingError("[match] query: operator must be [and] or [or], not [" + s + "]")
		}
	}
	if m, ok := opts["minimum_should_match"]; ok {
		var x any
		json.Unmarshal(m, &x)
		n.msm = asString(x)
	}
	if l, ok := opts["lenient"]; ok {
		json.Unmarshal(l, &n.lenient)
	}
	if z, ok := opts["zero_terms_query"]; ok {
		var s string
		json.Unmarshal(z, &s)
		n.zeroAll = strings.EqualFold(s, "all")
	}
	return n, nil
}

func (n matchNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil || f.kind == kindObject {
		return never, nil
	}
	if f.kind != kindText {
		test, ok, err := c.termValue(n.field, n.query, false, n.lenient)
		if err != nil || !ok {
			return never, err
		}
		return c.anyValue(n.field, test), nil
	}
	toks := analyze(asString(n.query))
	if len(toks) == 0 {
		return func(*doc) bool { return n.zeroAll }, nil
	}
	need := 1
	if n.and {
		need = len(toks)
	} else if n.msm != "" {
		k, err := minimumShouldMatch(n.msm, len(toks))
		if err != nil {
			return nil, err
		}
		need = k
	}
	return func(d *doc) bool {
		have := map[string]bool{}
		for _, v := range c.fieldValues(n.field, d) {
			have[v.(string)] = true
		}
		hit := 0
		for _, t := range toks {
			if have[t] {
				hit++
			}
		}
		return hit >= need && hit > 0
	}, nil
}

var msmPattern = regexp.MustCompile(`^(-?)(\d+)(%?)$`)

// minimumShouldMatch reads an integer or percentage (negative: how many may
// be missing) of n optional clauses, as OpenSearch does; the combinations
// ("3<90%") are refused.
func minimumShouldMatch(spec string, n int) (int, *apiError) {
	m := msmPattern.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return 0, unsupported("minimum_should_match [" + spec + "] (only N, -N, N% and -N% are implemented)")
	}
	x, _ := strconv.Atoi(m[2])
	if m[3] == "%" {
		x = x * n / 100
	}
	if m[1] == "-" {
		x = n - x
	}
	return max(0, min(x, n)), nil
}

// boolNode: every must and filter clause, no must_not clause, and at least
// minimum_should_match should clauses: by default 1 when there are should
// clauses and no must or filter clause, else 0.
type boolNode struct {
	must, filter, should, mustNot []node
	msm                           string
}

func parseBool(body json.RawMessage) (node, *apiError) {
	o, err := options("bool", body, "must", "filter", "should", "must_not", "minimum_should_match", "adjust_pure_negative")
	if err != nil {
		return nil, err
	}
	var n boolNode
	for key, dst := range map[string]*[]node{"must": &n.must, "filter": &n.filter, "should": &n.should, "must_not": &n.mustNot} {
		raw, ok := o[key]
		if !ok {
			continue
		}
		var list []json.RawMessage
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, parsingError("[bool] query malformed " + key + ": " + err.Error())
			}
		} else {
			list = []json.RawMessage{raw}
		}
		for _, q := range list {
			c, err := parseQuery(q)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, c)
		}
	}
	if m, ok := o["minimum_should_match"]; ok {
		var x any
		json.Unmarshal(m, &x)
		n.msm = asString(x)
	}
	return n, nil
}

func compileAll(c *compiler, nodes []node) ([]matcher, *apiError) {
	out := make([]matcher, 0, len(nodes))
	for _, n := range nodes {
		m, err := n.compile(c)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (n boolNode) compile(c *compiler) (matcher, *apiError) {
	must, err := compileAll(c, append(append([]node{}, n.must...), n.filter...))
	if err != nil {
		return nil, err
	}
	should, err := compileAll(c, n.should)
	if err != nil {
		return nil, err
	}
	not, err := compileAll(c, n.mustNot)
	if err != nil {
		return nil, err
	}
	need := 0
	if len(should) > 0 && len(must) == 0 {
		need = 1
	}
	if n.msm != "" {
		if need, err = minimumShouldMatch(n.msm, len(should)); err != nil {
			return nil, err
		}
	}
	return func(d *doc) bool {
		for _, m := range must {
			if !m(d) {
				return false
			}
		}
		for _, m := range not {
			if m(d) {
				return false
			}
		}
		hit := 0
		for _, m := range should {
			if hit >= need {
				break
			}
			if m(d) {
				hit++
			}
		}
		return hit >= need
	}, nil
}

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
