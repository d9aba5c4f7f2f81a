package standin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cursor is an open scroll: the hits not yet returned, from the snapshot
// taken when the scroll was opened.
type cursor struct {
	req        *searchReq
	rest       []hit
	total      int
	shardCount int
	keepAlive  time.Duration
	expires    time.Time
}

// pit is a point in time: a snapshot of indices.
type pit struct {
	id        string
	indices   []*index
	created   time.Time
	keepAlive time.Duration
	expires   time.Time
}

// base64ID encodes a context id as OpenSearch's are: URL-safe base64 with
// padding, so that it crosses paths, queries and bodies intact.
func base64ID(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

var durationPattern = regexp.MustCompile(`^(\d+)(d|h|m|s|ms|micros|nanos)$`)

// keepAlive reads a time value such as 1m; at most 24h, OpenSearch's
// default for the setting named.
func keepAlive(v, setting string) (time.Duration, *apiError) {
	m := durationPattern.FindStringSubmatch(v)
	if m == nil {
		return 0, newError(400, "parse_exception", "failed to parse setting [keep_alive] with value ["+v+"] as a time value: unit is missing or unrecognized")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second,
		"ms": time.Millisecond, "micros": time.Microsecond, "nanos": time.Nanosecond}[m[2]]
	d := time.Duration(n) * unit
	if d > 24*time.Hour {
		return 0, badRequest("Keep alive for request (" + v + ") is too large. It must be less than (1d). This limit can be set by changing the [" + setting + "] cluster level setting.")
	}
	return d, nil
}

func contextMissing(id string) *apiError {
	return shardFailure(newError(404, "search_context_missing_exception", "No search context found for id ["+id+"]"))
}

// scroll answers /_search/scroll: the next page of an open scroll (GET or
// POST, the id in the path, the scroll_id parameter or the body), or DELETE
// to free scrolls (ids in the path, comma separated, or in the body; _all).
func (s *Server) scroll(w http.ResponseWriter, r *http.Request, rest []string, body []byte) *apiError {
	var ids []string
	keep := r.URL.Query().Get("scroll")
	if len(rest) == 1 {
		ids = strings.Split(rest[0], ",")
	} else if v := r.URL.Query().Get("scroll_id"); v != "" {
		ids = strings.Split(v, ",")
	} else if len(strings.TrimSpace(string(body))) > 0 {
		var b map[string]json.RawMessage
		if err := json.Unmarshal(body, &b); err != nil {
			return parsingError("cannot parse the scroll body: " + err.Error())
		}
		for k := range b {
			if k != "scroll_id" && k != "scroll" {
				return parsingError("Unknown parameter [" + k + "] in request body or parameter is of the wrong type[" + tokenName(b[k]) + "] ")
			}
		}
		var one string
		if json.Unmarshal(b["scroll_id"], &one) == nil {
			ids = []string{one}
		} else if err := json.Unmarshal(b["scroll_id"], &ids); err != nil {
			return parsingError("scroll_id must be a string or a list of strings")
		}
		if v, ok := b["scroll"]; ok {
			json.Unmarshal(v, &keep)
		}
	}
	if len(ids) == 0 || ids[0] == "" {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: no scroll ids specified;")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	if r.Method == del {
		freed := 0
		if len(ids) == 1 && ids[0] == "_all" {
			freed = len(s.scrolls)
			clear(s.scrolls)
		}
		for _, id := range ids {
			if _, ok := s.scrolls[id]; ok {
				delete(s.scrolls, id)
				freed++
			} else if _, err := base64.URLEncoding.DecodeString(id); err != nil && id != "_all" {
				return badRequest("Cannot parse scroll id")
			}
		}
		status := 200
		if freed == 0 {
			status = 404
		}
		writeJSON(w, status, map[string]any{"succeeded": true, "num_freed": freed})
		return nil
	}
	c, ok := s.scrolls[ids[0]]
	if !ok {
		if _, err := base64.URLEncoding.DecodeString(ids[0]); err != nil {
			return badRequest("Cannot parse scroll id")
		}
		return contextMissing(ids[0])
	}
	if keep != "" {
		d, err := keepAlive(keep, "search.max_keep_alive")
		if err != nil {
			return err
		}
		c.keepAlive = d
	}
	c.expires = s.now().Add(c.keepAlive)
	n := min(c.req.size, len(c.rest))
	page := c.rest[:n]
	c.rest = c.rest[n:]
	res := c.req.render(page, c.total, c.shardCount)
	res["_scroll_id"] = ids[0]
	writeJSON(w, 200, res)
	return nil
}

// expire drops the scrolls and points in time whose keep-alive has passed;
// s.mu must be held.
func (s *Server) expire() {
	now := s.now()
	for id, c := range s.scrolls {
		if now.After(c.expires) {
			delete(s.scrolls, id)
		}
	}
	for id, p := range s.pits {
		if now.After(p.expires) {
			delete(s.pits, id)
		}
	}
}

func (s *Server) createPIT(w http.ResponseWriter, r *http.Request, target string) *apiError {
	keep := r.URL.Query().Get("keep_alive")
	if keep == "" {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: keep alive not specified;")
	}
	d, err := keepAlive(keep, "point_in_time.max_keep_alive")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	ixs, err := s.resolve(target, false)
	if err != nil {
		return err
	}
	p := &pit{created: s.now(), keepAlive: d, expires: s.now().Add(d)}
	for _, ix := range ixs {
		snap := *ix
		snap.docs = make(map[string]*doc, len(ix.docs))
		for id, dc := range ix.docs {
			snap.docs[id] = dc
		}
		snap.m = make(mapping, len(ix.m))
		for k, f := range ix.m {
			snap.m[k] = f
		}
		p.indices = append(p.indices, &snap)
	}
	s.nextCtx++
	p.id = base64ID("standin-pit:" + strconv.Itoa(s.nextCtx) + ":" + randomHex(12))
	s.pits[p.id] = p
	writeJSON(w, 200, map[string]any{"pit_id": p.id, "_shards": map[string]int{"total": len(ixs), "successful": len(ixs), "skipped": 0, "failed": 0},
		"creation_time": p.created.UnixMilli()})
	return nil
}

// lookupPIT finds a live point in time; s.mu must be held.
func (s *Server) lookupPIT(id string) (*pit, *apiError) {
	s.expire()
	p := s.pits[id]
	if p == nil {
		if _, err := base64.URLEncoding.DecodeString(id); err != nil {
			return nil, badRequest("invalid id [" + id + "]")
		}
		return nil, contextMissing(id)
	}
	return p, nil
}

// pitAPI answers /_search/point_in_time and /_search/point_in_time/_all.
func (s *Server) pitAPI(w http.ResponseWriter, r *http.Request, rest []string, body []byte) *apiError {
	all := len(rest) == 1 && rest[0] == "_all"
	if len(rest) == 1 && !all {
		noHandler(w, r)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	switch {
	case all && r.Method == get:
		list := []any{}
		for _, p := range s.sortedPITs() {
			list = append(list, map[string]any{"pit_id": p.id, "creation_time": p.created.UnixMilli(), "keep_alive": p.keepAlive.Milliseconds()})
		}
		writeJSON(w, 200, map[string]any{"pits": list})
	case all && r.Method == del:
		list := []any{}
		for _, p := range s.sortedPITs() {
			list = append(list, map[string]any{"pit_id": p.id, "successful": true})
			delete(s.pits, p.id)
		}
		writeJSON(w, 200, map[string]any{"pits": list})
	case all:
		methodNotAllowed(w, r, get, del)
	case r.Method == del:
		var req struct {
			PitID json.RawMessage `json:"pit_id"`
		}
		if err := decodeBody(body, &req); err != nil {
			return err
		}
		var ids []string
		var one string
		if json.Unmarshal(req.PitID, &one) == nil {
			ids = []string{one}
		} else if json.Unmarshal(req.PitID, &ids) != nil || len(ids) == 0 {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: no pit ids specified;")
		}
		list := []any{}
		for _, id := range ids {
			_, ok := s.pits[id]
			delete(s.pits, id)
			list = append(list, map[string]any{"pit_id": id, "successful": ok})
		}
		writeJSON(w, 200, map[string]any{"pits": list})
	default:
		methodNotAllowed(w, r, del)
	}
	return nil
}

func (s *Server) sortedPITs() []*pit {
	list := make([]*pit, 0, len(s.pits))
	for _, p := range s.pits {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	return list
}
