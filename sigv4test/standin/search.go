package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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

// hit is a matching document with its sort values.
type hit struct {
	d     *doc
	sort  []any
	order [2]int64 // index position, sequence number: the order of ties
}

// run finds every document of ixs that matches req.query, sorted.
func (s *Server) run(ixs []*index, req *searchReq) ([]hit, *apiError) {
	var hits []hit
	for ip, ix := range ixs {
		c := &compiler{index: ix.name, m: ix.m, now: s.now()}
		match := matcher(func(*doc) bool { return true })
		if req.query != nil {
			m, err := req.query.compile(c)
			if err != nil {
				return nil, shardFailure(err)
			}
			match = m
		}
		var sortFields []*field
		for _, sp := range req.sorts {
			if sp.field == "_score" || sp.field == "_doc" {
				sortFields = append(sortFields, nil)
				continue
			}
			f := ix.m[sp.field]
			switch {
			case f == nil || f.kind == kindObject:
				if sp.unmappedType == "" {
					e := newError(400, "query_shard_exception", "No mapping found for ["+sp.field+"] in order to sort on")
					e.extra = map[string]any{"index": ix.name, "index_uuid": ix.uuid}
					return nil, shardFailure(e)
				}
			case f.kind == kindText:
				return nil, shardFailure(badRequest("Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [" + sp.field + "] in order to load field data by uninverting the inverted index. Note that this can use significant memory."))
			}
			sortFields = append(sortFields, f)
		}
		for _, d := range ix.docs {
			if !match(d) {
				continue
			}
			h := hit{d: d, order: [2]int64{int64(ip), d.seqNo}}
			for i, sp := range req.sorts {
				h.sort = append(h.sort, sortValue(ix, sp, sortFields[i], d, h.order))
			}
			hits = append(hits, h)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return compareHits(req.sorts, hits[i], hits[j]) < 0 })
	return hits, nil
}

// sortValue is a document's value for one sort key, as OpenSearch shows it
// in "sort": the smallest value ascending, the largest descending; a date
// as epoch milliseconds, a boolean as 0 or 1; nil when missing.
func sortValue(ix *index, sp sortSpec, f *field, d *doc, order [2]int64) any {
	switch sp.field {
	case "_score":
		return 1.0
	case "_doc":
		return order[1]
	}
	if f == nil {
		return nil
	}
	var best any
	for _, v := range ix.m.values(sp.field, d.parsed) {
		switch x := v.(type) {
		case bool:
			if x {
				v = int64(1)
			} else {
				v = int64(0)
			}
		case float64:
			if f.kind == kindLong {
				v = int64(x)
			}
		}
		if best == nil || (compareValues(v, best) < 0) != sp.desc && compareValues(v, best) != 0 {
			best = v
		}
	}
	return best
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// compareValues orders two sort values of one key; nil (missing) is
// handled by the caller.
func compareValues(a, b any) int {
	if as, ok := a.(string); ok {
		bs, _ := b.(string)
		return strings.Compare(as, bs)
	}
	af, _ := toFloat(a)
	bf, ok := toFloat(b)
	if !ok {
		if bs, isStr := b.(string); isStr {
			if x, err := strconv.ParseFloat(bs, 64); err == nil {
				bf = x
			}
		}
	}
	switch {
	case af < bf:
		return -1
	case af > bf:
		return 1
	}
	return 0
}

// compareKey compares one sort key of two hits, missing values last (or
// first) whatever the order.
func compareKey(sp sortSpec, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if sp.missingFirst {
			return -1
		}
		return 1
	case b == nil:
		if sp.missingFirst {
			return 1
		}
		return -1
	}
	c := compareValues(a, b)
	if sp.desc {
		c = -c
	}
	return c
}

func compareHits(sorts []sortSpec, a, b hit) int {
	for i, sp := range sorts {
		if c := compareKey(sp, a.sort[i], b.sort[i]); c != 0 {
			return c
		}
	}
	if a.order[0] != b.order[0] {
		return int(a.order[0] - b.order[0])
	}
	switch {
	case a.order[1] < b.order[1]:
		return -1
	case a.order[1] > b.order[1]:
		return 1
	}
	return 0
}

// after keeps the hits that sort strictly after the search_after values.
func after(sorts []sortSpec, hits []hit, values []any) []hit {
	var out []hit
	for _, h := range hits {
		c := 0
		for i, sp := range sorts {
			v := values[i]
			if s, ok := v.(string); ok && h.sort[i] != nil {
				if _, isStr := h.sort[i].(string); !isStr {
					if f, err := strconv.ParseFloat(s, 64); err == nil {
						v = f
					}
				}
			}
			if c = compareKey(sp, h.sort[i], v); c != 0 {
				break
			}
		}
		if c > 0 {
			out = append(out, h)
		}
	}
	return out
}

// page applies search_after, from and size.
func (req *searchReq) page(hits []hit) []hit {
	if req.searchAfter != nil {
		hits = after(req.sorts, hits, req.searchAfter)
	}
	if req.from >= len(hits) {
		return nil
	}
	hits = hits[req.from:]
	if req.size < len(hits) {
		hits = hits[:req.size]
	}
	return hits
}

// render writes a search response for one page of hits out of total.
func (req *searchReq) render(page []hit, total, shardCount int) map[string]any {
	sorted := len(req.sorts) > 0 && !(len(req.sorts) == 1 && req.sorts[0].field == "_score" && req.sorts[0].desc)
	scored := !sorted || req.trackScores
	list := make([]any, 0, len(page))
	for _, h := range page {
		o := map[string]any{"_index": h.d.index, "_id": h.d.id, "_score": nil}
		if scored {
			o["_score"] = 1.0
		}
		if req.version {
			o["_version"] = h.d.version
		}
		if req.seqNo {
			o["_seq_no"], o["_primary_term"] = h.d.seqNo, 1
		}
		if src, ok := req.filter.apply(h.d); ok {
			o["_source"] = src
		}
		if sorted {
			vals := make([]any, len(h.sort))
			for i, v := range h.sort {
				vals[i] = v
				if v == nil {
					vals[i] = missingSortValue(req.sorts[i])
				}
			}
			o["sort"] = vals
		}
		list = append(list, o)
	}
	hitsObj := map[string]any{"max_score": nil, "hits": list}
	if scored && total > 0 {
		hitsObj["max_score"] = 1.0
	}
	switch {
	case req.restInt:
		hitsObj["total"] = total
	case req.trackTotal < 0 || total <= req.trackTotal:
		if req.trackTotal != 0 {
			hitsObj["total"] = map[string]any{"value": total, "relation": "eq"}
		}
	default:
		hitsObj["total"] = map[string]any{"value": req.trackTotal, "relation": "gte"}
	}
	return map[string]any{"took": 1, "timed_out": false,
		"_shards": map[string]int{"total": shardCount, "successful": shardCount, "skipped": 0, "failed": 0},
		"hits":    hitsObj}
}

// missingSortValue is what OpenSearch shows as the sort value of a
// document without the field: the extreme of a long, or null.
func missingSortValue(sp sortSpec) any {
	if sp.unmappedType != "" && sp.unmappedType != "keyword" {
		if sp.desc != sp.missingFirst {
			return int64(math.MinInt64)
		}
		return int64(math.MaxInt64)
	}
	return nil
}

func queryParams(r *http.Request) url.Values { return r.URL.Query() }

func (s *Server) searchAPI(w http.ResponseWriter, r *http.Request, target string, body []byte) *apiError {
	req, err := parseSearch(queryParams(r), body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.search(target, r.URL.Query().Get("ignore_unavailable") == "true", req)
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

// search runs a parsed search on target (or on its point in time) and
// returns the response; with a scroll, it opens the scroll. s.mu must be
// held.
func (s *Server) search(target string, ignoreUnavailable bool, req *searchReq) (map[string]any, *apiError) {
	var ixs []*index
	var p *pit
	if req.pitID != "" {
		if target != "" {
			return nil, newError(400, "action_request_validation_exception", "Validation Failed: 1: [indices] cannot be used with point in time. Do not specify any index with point in time.;")
		}
		var err *apiError
		if p, err = s.lookupPIT(req.pitID); err != nil {
			return nil, err
		}
		if req.pitKeep != "" {
			d, err := keepAlive(req.pitKeep, "point_in_time.max_keep_alive")
			if err != nil {
				return nil, err
			}
			p.keepAlive = d
			p.expires = s.now().Add(d)
		}
		ixs = p.indices
	} else {
		var err *apiError
		if ixs, err = s.resolve(target, ignoreUnavailable); err != nil {
			return nil, err
		}
	}
	hits, err := s.run(ixs, req)
	if err != nil {
		return nil, err
	}
	total := len(hits)
	var res map[string]any
	if req.scroll != "" {
		d, err := keepAlive(req.scroll, "search.max_keep_alive")
		if err != nil {
			return nil, err
		}
		first := hits[:min(req.size, len(hits))]
		s.nextCtx++
		id := base64ID(fmt.Sprintf("standin-scroll:%d:%s", s.nextCtx, randomHex(8)))
		s.scrolls[id] = &cursor{req: req, rest: hits[len(first):], total: total, shardCount: len(ixs), keepAlive: d, expires: s.now().Add(d)}
		res = req.render(first, total, len(ixs))
		res["_scroll_id"] = id
	} else {
		res = req.render(req.page(hits), total, len(ixs))
	}
	if p != nil {
		res["pit_id"] = p.id
	}
	return res, nil
}

func (s *Server) count(w http.ResponseWriter, r *http.Request, target string, body []byte) *apiError {
	var sec map[string]json.RawMessage
	if err := decodeBody(body, &sec); err != nil {
		return err
	}
	for k := range sec {
		if k != "query" {
			return parsingError("request does not support [" + k + "]")
		}
	}
	q := r.URL.Query()
	for _, p := range []string{"size", "from", "sort", "scroll", "_source"} {
		if q.Has(p) {
			return badRequest("request [" + r.URL.Path + "] contains unrecognized parameter: [" + p + "]")
		}
	}
	req, err := parseSearch(q, body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, err := s.resolve(target, q.Get("ignore_unavailable") == "true")
	if err != nil {
		return err
	}
	hits, err := s.run(ixs, req)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"count": len(hits), "_shards": map[string]int{"total": len(ixs), "successful": len(ixs), "skipped": 0, "failed": 0}})
	return nil
}

func (s *Server) msearch(w http.ResponseWriter, r *http.Request, target string, body []byte) *apiError {
	var lines [][]byte
	for _, l := range bytes.Split(body, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	if len(lines)%2 != 0 {
		return badRequest("The msearch request must be terminated by a newline [\\n]")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var responses []any
	for i := 0; i < len(lines); i += 2 {
		var hdr map[string]json.RawMessage
		if err := json.Unmarshal(lines[i], &hdr); err != nil {
			return parsingError("msearch header " + strconv.Itoa(i/2) + " is not a JSON object: " + err.Error())
		}
		ixName, ignore := target, r.URL.Query().Get("ignore_unavailable") == "true"
		var herr *apiError
		for k, v := range hdr {
			switch k {
			case "index":
				var one string
				var many []string
				if json.Unmarshal(v, &one) == nil {
					ixName = one
				} else if json.Unmarshal(v, &many) == nil {
					ixName = strings.Join(many, ",")
				}
			case "ignore_unavailable":
				json.Unmarshal(v, &ignore)
			case "allow_no_indices", "expand_wildcards", "search_type", "preference", "routing", "request_cache":
			default:
				herr = unsupported("[" + k + "] in an msearch header")
			}
		}
		if herr != nil {
			responses = append(responses, map[string]any{"error": herr.body(), "status": herr.status})
			continue
		}
		req, err := parseSearch(url.Values{}, lines[i+1])
		if err == nil {
			var res map[string]any
			if res, err = s.search(ixName, ignore, req); err == nil {
				res["status"] = 200
				responses = append(responses, res)
				continue
			}
		}
		responses = append(responses, map[string]any{"error": err.body(), "status": err.status})
	}
	writeJSON(w, 200, map[string]any{"took": 1, "responses": responses})
	return nil
}

func (s *Server) deleteByQuery(w http.ResponseWriter, r *http.Request, target string, body []byte) *apiError {
	var sec map[string]json.RawMessage
	if err := decodeBody(body, &sec); err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("wait_for_completion") == "false" {
		return unsupported("[wait_for_completion=false] (tasks)")
	}
	if v := q.Get("slices"); v != "" && v != "1" && v != "auto" {
		return unsupported("[slices=" + v + "]")
	}
	if q.Get("q") == "" && sec["query"] == nil {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: query is missing;")
	}
	maxDocs := -1
	for k, v := range sec {
		switch k {
		case "query":
		case "max_docs":
			json.Unmarshal(v, &maxDocs)
		default:
			return unsupported("[" + k + "] in a delete by query")
		}
	}
	if v := q.Get("max_docs"); v != "" {
		maxDocs, _ = strconv.Atoi(v)
	}
	req, err := parseSearch(url.Values{"q": q["q"], "df": q["df"], "default_operator": q["default_operator"]}, mustJSON(map[string]any{"query": sec["query"]}, sec["query"] != nil))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, err := s.resolve(target, q.Get("ignore_unavailable") == "true")
	if err != nil {
		return err
	}
	hits, err := s.run(ixs, req)
	if err != nil {
		return err
	}
	if maxDocs >= 0 && maxDocs < len(hits) {
		hits = hits[:maxDocs]
	}
	for _, h := range hits {
		s.remove(h.d.index, h.d.id, nil, nil)
	}
	writeJSON(w, 200, map[string]any{"took": 1, "timed_out": false, "total": len(hits), "deleted": len(hits), "batches": min(1, len(hits)),
		"version_conflicts": 0, "noops": 0, "retries": map[string]int{"bulk": 0, "search": 0}, "throttled_millis": 0,
		"requests_per_second": -1.0, "throttled_until_millis": 0, "failures": []any{}})
	return nil
}

func mustJSON(v any, ok bool) []byte {
	if !ok {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}
