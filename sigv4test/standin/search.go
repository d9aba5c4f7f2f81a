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
