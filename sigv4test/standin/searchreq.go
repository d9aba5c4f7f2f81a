package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxResultWindow is OpenSearch's index.max_result_window default.
const maxResultWindow = 10000

// searchReq is a parsed search: the body's sections and the URL's
// parameters.
type searchReq struct {
	query       node // nil: match_all
	size, from  int
	sorts       []sortSpec
	searchAfter []any
	filter      *sourceFilter
	trackTotal  int // -1: exact; 0: none; N: count up to N
	version     bool
	seqNo       bool
	restInt     bool
	trackScores bool
	pitID       string
	pitKeep     string
	scroll      string
}

// sortSpec is one sort key.
type sortSpec struct {
	field        string // a field, _score or _doc
	desc         bool
	missingFirst bool
	unmappedType string
}

// sections of a search body that OpenSearch has and the stand-in refuses.
var refusedSections = map[string]bool{
	"aggs": true, "aggregations": true, "highlight": true, "suggest": true, "script_fields": true,
	"collapse": true, "rescore": true, "post_filter": true, "min_score": true, "explain": true,
	"docvalue_fields": true, "stored_fields": true, "fields": true, "indices_boost": true, "profile": true,
	"slice": true, "terminate_after": true, "runtime_mappings": true, "ext": true, "stats": true,
	"search_pipeline": true, "derived": true, "include_named_queries_score": true, "verbose_pipeline": true,
}

func tokenName(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "VALUE_NULL"
	}
	switch t[0] {
	case '{':
		return "START_OBJECT"
	case '[':
		return "START_ARRAY"
	case '"':
		return "VALUE_STRING"
	case 't', 'f':
		return "VALUE_BOOLEAN"
	case 'n':
		return "VALUE_NULL"
	}
	return "VALUE_NUMBER"
}

// parseSearch reads a search from the URL's parameters and the body; the
// body's values win over the parameters', as in OpenSearch.
func parseSearch(q url.Values, body []byte) (*searchReq, *apiError) {
	var sec map[string]json.RawMessage
	if err := decodeBody(body, &sec); err != nil {
		return nil, err
	}
	in := searchInput{q: q, sec: sec}
	req := &searchReq{size: -1, from: -1, trackTotal: maxResultWindow}
	// Each step reads its part of the search or refuses it; the first
	// refusal is the answer.
	for _, step := range []func(*searchReq, searchInput) *apiError{
		checkSections, searchQuery, searchPaging, searchSorting, searchSource,
		searchTracking, searchPIT, checkSearchContext,
	} {
		if err := step(req, in); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// searchInput is what a search is read from: the URL's parameters and the
// body's sections.
type searchInput struct {
	q   url.Values
	sec map[string]json.RawMessage
}

// int reads an integer from the body's section name, else from the URL's
// parameter of that name; dst is left alone when neither is there.
func (in searchInput) int(name string, dst *int) *apiError {
	if raw, ok := in.sec[name]; ok {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return parsingError("[" + name + "] must be a number, not " + string(raw))
		}
		x, err := n.Int64()
		if err != nil {
			return parsingError("[" + name + "] must be an integer, not " + string(raw))
		}
		*dst = int(x)
	} else if v := in.q.Get(name); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil {
			return badRequest("Failed to parse int parameter [" + name + "] with value [" + v + "]")
		}
		*dst = x
	}
	return nil
}

// bool reads a flag from the body's section name, else from the URL's
// parameter of that name ("true" sets it).
func (in searchInput) bool(name string, dst *bool) {
	if raw, ok := in.sec[name]; ok {
		json.Unmarshal(raw, dst)
	} else if in.q.Get(name) == "true" {
		*dst = true
	}
}

// checkSections refuses a body section the stand-in does not have, in
// name order, as OpenSearch reports the first one it meets.
func checkSections(_ *searchReq, in searchInput) *apiError {
	names := make([]string, 0, len(in.sec))
	for k := range in.sec {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case refusedSections[k]:
			return unsupported("the [" + k + "] section")
		case k == "query" || k == "size" || k == "from" || k == "sort" || k == "search_after" || k == "_source" ||
			k == "track_total_hits" || k == "version" || k == "seq_no_primary_term" || k == "pit" || k == "timeout" ||
			k == "track_scores":
		default:
			return parsingError("Unknown key for a " + tokenName(in.sec[k]) + " in [" + k + "].")
		}
	}
	return nil
}

// searchQuery reads the query: q= (with df, default_operator and lenient)
// or the body's query, not both.
func searchQuery(req *searchReq, in searchInput) *apiError {
	if v := in.q.Get("q"); v != "" {
		var fields []string
		if df := in.q.Get("df"); df != "" {
			fields = []string{df}
		}
		n, err := newQueryString(v, fields, in.q.Get("default_operator"), in.q.Get("lenient") == "true")
		if err != nil {
			return err
		}
		req.query = n
	}
	if raw, ok := in.sec["query"]; ok {
		if req.query != nil {
			return badRequest("a search may not have both q= and a query in its body")
		}
		n, err := parseQuery(raw)
		if err != nil {
			return err
		}
		req.query = n
	}
	return nil
}

// searchPaging reads size and from, which may not be negative.
func searchPaging(req *searchReq, in searchInput) *apiError {
	if err := in.int("size", &req.size); err != nil {
		return err
	}
	if err := in.int("from", &req.from); err != nil {
		return err
	}
	if req.size < -1 {
		return badRequest("[size] parameter cannot be negative, found [" + strconv.Itoa(req.size) + "]")
	}
	if req.from < -1 {
		return badRequest("[from] parameter cannot be negative, found [" + strconv.Itoa(req.from) + "]")
	}
	return nil
}

// searchSorting reads the sort (the body's, else sort=field:order,...)
// and search_after.
func searchSorting(req *searchReq, in searchInput) *apiError {
	if raw, ok := in.sec["sort"]; ok {
		sorts, err := parseSort(raw)
		if err != nil {
			return err
		}
		req.sorts = sorts
	} else if v := in.q.Get("sort"); v != "" {
		for _, part := range strings.Split(v, ",") {
			f, order, _ := strings.Cut(part, ":")
			sp := sortSpec{field: f, desc: f == "_score"}
			switch order {
			case "":
			case "asc":
				sp.desc = false
			case "desc":
				sp.desc = true
			default:
				return badRequest("Unknown sort order [" + order + "] in [" + part + "]")
			}
			req.sorts = append(req.sorts, sp)
		}
	}
	if raw, ok := in.sec["search_after"]; ok {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&req.searchAfter); err != nil {
			return parsingError("[search_after] must be an array: " + err.Error())
		}
	}
	return nil
}

// searchSource reads the source filter: the URL's _source parameters,
// replaced by the body's _source when it has one.
func searchSource(req *searchReq, in searchInput) *apiError {
	f, err := sourceFilterParams(&http.Request{URL: &url.URL{RawQuery: in.q.Encode()}})
	if err != nil {
		return err
	}
	req.filter = f
	if raw, ok := in.sec["_source"]; ok {
		if req.filter, err = parseSourceFilter(raw); err != nil {
			return err
		}
	}
	return nil
}

// searchTracking reads track_total_hits, version, seq_no_primary_term,
// track_scores and rest_total_hits_as_int.
func searchTracking(req *searchReq, in searchInput) *apiError {
	tth := in.q.Get("track_total_hits")
	if raw, ok := in.sec["track_total_hits"]; ok {
		tth = strings.Trim(string(raw), `"`)
	}
	switch tth {
	case "":
	case "true":
		req.trackTotal = -1
	case "false":
		req.trackTotal = 0
	default:
		n, e := strconv.Atoi(tth)
		if e != nil || n < 0 {
			return badRequest("[track_total_hits] must be true, false or a non-negative integer, not [" + tth + "]")
		}
		req.trackTotal = n
	}
	in.bool("version", &req.version)
	in.bool("seq_no_primary_term", &req.seqNo)
	in.bool("track_scores", &req.trackScores)
	req.restInt = in.q.Get("rest_total_hits_as_int") == "true"
	if req.restInt && req.trackTotal >= 0 && req.trackTotal != maxResultWindow {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: [rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got "+strconv.Itoa(req.trackTotal)+";")
	}
	if req.restInt {
		req.trackTotal = -1
	}
	return nil
}

// searchPIT reads a point in time ({"pit": {"id": ..., "keep_alive": ...}}).
func searchPIT(req *searchReq, in searchInput) *apiError {
	raw, ok := in.sec["pit"]
	if !ok {
		return nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(raw, &p) != nil {
		return parsingError("[pit] must be an object with an [id]")
	}
	for k := range p {
		if k != "id" && k != "keep_alive" {
			return parsingError("[pit] unknown field [" + k + "]")
		}
	}
	json.Unmarshal(p["id"], &req.pitID)
	json.Unmarshal(p["keep_alive"], &req.pitKeep)
	if req.pitID == "" {
		return parsingError("[pit] requires an [id]")
	}
	return nil
}

// checkSearchContext reads scroll, fills in the default size and from,
// and refuses what search_after, a scroll and the result window do not
// allow together.
func checkSearchContext(req *searchReq, in searchInput) *apiError {
	req.scroll = in.q.Get("scroll")
	if req.size == -1 {
		req.size = 10
	}
	if req.searchAfter != nil {
		if len(req.sorts) == 0 {
			return badRequest("Sort must contain at least one field.")
		}
		if len(req.searchAfter) != len(req.sorts) {
			return badRequest(fmt.Sprintf("search_after has %d value(s) but sort has %d.", len(req.searchAfter), len(req.sorts)))
		}
		if req.from > 0 {
			return badRequest("`from` parameter must be set to 0 when `search_after` is used.")
		}
	}
	if req.scroll != "" {
		if req.from > 0 {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: using [from] is not allowed in a scroll context;")
		}
		if req.searchAfter != nil {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: `search_after` cannot be used in a scroll context.;")
		}
		if req.pitID != "" {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: using [point in time] is not allowed in a scroll context;")
		}
	}
	if req.from == -1 {
		req.from = 0
	}
	if req.scroll == "" && req.from+req.size > maxResultWindow {
		return shardFailure(badRequest(fmt.Sprintf("Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.", maxResultWindow, req.from+req.size)))
	}
	return nil
}

func parseSort(raw json.RawMessage) ([]sortSpec, *apiError) {
	var items []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, parsingError("[sort] malformed: " + err.Error())
		}
	} else {
		items = []json.RawMessage{raw}
	}
	var out []sortSpec
	for _, it := range items {
		var name string
		if json.Unmarshal(it, &name) == nil {
			out = append(out, sortSpec{field: name, desc: name == "_score"})
			continue
		}
		var o map[string]json.RawMessage
		if json.Unmarshal(it, &o) != nil || len(o) != 1 {
			return nil, parsingError("[sort] each sort must be a field name or an object with one field")
		}
		for f, v := range o {
			if f == "_script" || f == "_geo_distance" {
				return nil, unsupported("[" + f + "] sorting")
			}
			sp := sortSpec{field: f, desc: f == "_score"}
			var order string
			if json.Unmarshal(v, &order) != nil {
				opts, err := options("sort", v, "order", "missing", "unmapped_type")
				if err != nil {
					return nil, err
				}
				json.Unmarshal(opts["order"], &order)
				if m, ok := opts["missing"]; ok {
					var ms string
					json.Unmarshal(m, &ms)
					switch ms {
					case "_last":
					case "_first":
						sp.missingFirst = true
					default:
						return nil, unsupported("[missing] values other than _last and _first in a sort")
					}
				}
				json.Unmarshal(opts["unmapped_type"], &sp.unmappedType)
			}
			switch strings.ToLower(order) {
			case "":
			case "asc":
				sp.desc = false
			case "desc":
				sp.desc = true
			default:
				return nil, badRequest("Unknown SortOrder [" + order + "]")
			}
			out = append(out, sp)
		}
	}
	return out, nil
}
