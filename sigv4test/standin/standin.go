// Package standin is a small in-memory stand-in for OpenSearch, to put
// behind a [sigv4test] endpoint in tests of code that signs requests: the
// endpoint checks the signature the way AWS does, and the stand-in answers
// the way OpenSearch does, so that opensearch-go (v2 and v4) or a plain
// http.Client can run against it offline.
//
//	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
//		o.Credentials = []aws.Credentials{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}
//		o.Region, o.Handler = "us-east-1", standin.New()
//	})
//
// It answers: GET / (cluster info); an index (/INDEX: PUT, HEAD, GET,
// DELETE); documents (/INDEX/_doc/ID, and POST /INDEX/_doc); _bulk
// (NDJSON, gzip bodies too); _search with q= or a match query, and
// scrolls (_search?scroll=, then /_search/scroll with the id in the query,
// the body or the path; DELETE frees it); _cat/indices; _refresh; and the security plugin's authinfo and
// rolesmapping (GET, PUT). It keeps everything in memory. It is not
// OpenSearch: no mappings, no scoring, no aggregations.
package standin

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Server holds indices of JSON documents. The zero value is not usable;
// create one with New. It is safe for concurrent use.
type Server struct {
	mu        sync.Mutex
	indices   map[string]map[string]json.RawMessage
	nextID    int
	principal string
	mappings  map[string]roleMapping
	scrolls   map[string]*scroll
	nextScrl  int
}

// scroll is an open scroll: the hits not yet returned and the page size.
type scroll struct {
	rest  []map[string]any
	size  int
	total int
}

// roleMapping is a role mapping of the security plugin.
type roleMapping struct {
	BackendRoles    []string `json:"backend_roles"`
	Hosts           []string `json:"hosts"`
	Users           []string `json:"users"`
	AndBackendRoles []string `json:"and_backend_roles,omitempty"`
	Description     string   `json:"description,omitempty"`
}

// New returns an empty stand-in. Its security plugin maps the master user
// "admin" to all_access.
func New() *Server {
	return &Server{
		indices:  map[string]map[string]json.RawMessage{},
		scrolls:  map[string]*scroll{},
		mappings: map[string]roleMapping{"all_access": {Users: []string{"admin"}, BackendRoles: []string{}, Hosts: []string{}, Description: "Maps the master user"}},
	}
}

// SetPrincipal sets the IAM role ARN that _plugins/_security/authinfo
// reports as the caller, as fine-grained access control does for a signed
// request.
func (s *Server) SetPrincipal(arn string) {
	s.mu.Lock()
	s.principal = arn
	s.mu.Unlock()
}

// Doc returns a stored document's source, for tests.
func (s *Server) Doc(index, id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.indices[index][id]
	return d, ok
}

// Count returns the number of documents in an index.
func (s *Server) Count(index string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.indices[index])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func errorJSON(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"type": typ, "reason": reason}, "status": status})
}

// segments splits the path as sent on the wire and decodes each segment, so
// that a document id holding "%2F" is one segment.
func segments(r *http.Request) []string {
	var segs []string
	for _, s := range strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/") {
		if s == "" {
			continue
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			d = s
		}
		segs = append(segs, d)
	}
	return segs
}

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = zr
	}
	return io.ReadAll(rd)
}

// ServeHTTP answers the supported calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		errorJSON(w, 400, "parse_exception", "cannot read body: "+err.Error())
		return
	}
	segs := segments(r)
	switch {
	case len(segs) >= 3 && segs[0] == "_plugins" && segs[1] == "_security":
		s.security(w, r, segs[2:], body)
	case len(segs) == 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(w, 200, map[string]any{
			"name": "standin", "cluster_name": "sigv4-standin",
			"version": map[string]any{"distribution": "opensearch", "number": "2.11.0"},
			"tagline": "The OpenSearch Project: https://opensearch.org/ (local stand-in)",
		})
	case len(segs) == 2 && segs[0] == "_cat" && segs[1] == "indices":
		s.catIndices(w, r)
	case len(segs) >= 2 && len(segs) <= 3 && segs[0] == "_search" && segs[1] == "scroll":
		s.scroll(w, r, segs[2:], body)
	case len(segs) >= 1 && segs[len(segs)-1] == "_bulk":
		index := ""
		if len(segs) == 2 {
			index = segs[0]
		}
		s.bulk(w, index, body)
	case len(segs) >= 1 && segs[len(segs)-1] == "_search":
		index := ""
		if len(segs) == 2 {
			index = segs[0]
		}
		s.search(w, r, index, body)
	case len(segs) == 2 && segs[1] == "_refresh":
		writeJSON(w, 200, map[string]any{"_shards": map[string]int{"total": 1, "successful": 1, "failed": 0}})
	case len(segs) == 1:
		s.index(w, r, segs[0])
	case len(segs) == 2 && segs[1] == "_doc" && r.Method == http.MethodPost:
		s.mu.Lock()
		s.nextID++
		id := "auto-" + strconv.Itoa(s.nextID)
		s.mu.Unlock()
		s.doc(w, r, segs[0], id, body)
	case len(segs) == 3 && segs[1] == "_doc":
		s.doc(w, r, segs[0], segs[2], body)
	default:
		errorJSON(w, 400, "illegal_argument_exception", "the stand-in does not support "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, exists := s.indices[name]
	switch r.Method {
	case http.MethodHead:
		if exists {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(404)
		}
	case http.MethodPut:
		if exists {
			errorJSON(w, 400, "resource_already_exists_exception", "index ["+name+"] already exists")
			return
		}
		s.indices[name] = map[string]json.RawMessage{}
		writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
	case http.MethodDelete:
		delete(s.indices, name)
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case http.MethodGet:
		if !exists {
			errorJSON(w, 404, "index_not_found_exception", "no such index ["+name+"]")
			return
		}
		writeJSON(w, 200, map[string]any{name: map[string]any{"mappings": map[string]any{}}})
	default:
		errorJSON(w, 405, "method_not_allowed", r.Method+" not allowed on an index")
	}
}

func (s *Server) doc(w http.ResponseWriter, r *http.Request, index, id string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		if !json.Valid(body) {
			errorJSON(w, 400, "mapper_parsing_exception", "failed to parse: the body is not JSON")
			return
		}
		result := s.put(index, id, body)
		writeJSON(w, map[string]int{"created": 201, "updated": 200}[result], map[string]any{"_index": index, "_id": id, "result": result})
	case http.MethodGet, http.MethodHead:
		d, ok := s.indices[index][id]
		if !ok {
			writeJSON(w, 404, map[string]any{"_index": index, "_id": id, "found": false})
			return
		}
		writeJSON(w, 200, map[string]any{"_index": index, "_id": id, "found": true, "_source": d})
	case http.MethodDelete:
		delete(s.indices[index], id)
		writeJSON(w, 200, map[string]any{"_index": index, "_id": id, "result": "deleted"})
	default:
		errorJSON(w, 405, "method_not_allowed", r.Method+" not allowed on a document")
	}
}

// put stores a document; s.mu must be held.
func (s *Server) put(index, id string, src []byte) string {
	if s.indices[index] == nil {
		s.indices[index] = map[string]json.RawMessage{}
	}
	_, existed := s.indices[index][id]
	s.indices[index][id] = append(json.RawMessage(nil), src...)
	if existed {
		return "updated"
	}
	return "created"
}

func (s *Server) bulk(w http.ResponseWriter, defaultIndex string, body []byte) {
	var items []map[string]any
	hasErrors := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal(line, &action); err != nil || len(action) != 1 {
			errorJSON(w, 400, "illegal_argument_exception", "malformed action/metadata line")
			return
		}
		for op, meta := range action {
			index := meta.Index
			if index == "" {
				index = defaultIndex
			}
			id := meta.ID
			if id == "" {
				s.nextID++
				id = "auto-" + strconv.Itoa(s.nextID)
			}
			item := map[string]any{"_index": index, "_id": id}
			switch op {
			case "index", "create":
				if !sc.Scan() || !json.Valid(bytes.TrimSpace(sc.Bytes())) {
					item["status"], item["error"] = 400, map[string]any{"type": "mapper_parsing_exception", "reason": "the source is not JSON"}
					hasErrors = true
				} else {
					result := s.put(index, id, bytes.TrimSpace(sc.Bytes()))
					item["result"], item["status"] = result, map[string]int{"created": 201, "updated": 200}[result]
				}
			case "delete":
				delete(s.indices[index], id)
				item["result"], item["status"] = "deleted", 200
			default:
				item["status"], item["error"] = 400, map[string]any{"type": "illegal_argument_exception", "reason": "unsupported bulk action " + op}
				hasErrors = true
			}
			items = append(items, map[string]any{op: item})
		}
	}
	writeJSON(w, 200, map[string]any{"took": 1, "errors": hasErrors, "items": items})
}

// search matches documents whose source contains the query text: q=text or
// q=field:text in the URL, or {"query":{"match":{"field":"text"}}} in the
// body. Matching is a substring test, enough for a demonstration.
func (s *Server) search(w http.ResponseWriter, r *http.Request, index string, body []byte) {
	text := r.URL.Query().Get("q")
	if _, v, ok := strings.Cut(text, ":"); ok {
		text = v
	}
	size := -1
	if v, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil && v >= 0 {
		size = v
	}
	if len(body) > 0 {
		var q struct {
			Query struct {
				Match map[string]any `json:"match"`
			} `json:"query"`
			Size *int `json:"size"`
		}
		if json.Unmarshal(body, &q) == nil {
			if q.Size != nil && *q.Size >= 0 {
				size = *q.Size
			}
			for _, v := range q.Query.Match {
				switch v := v.(type) {
				case string:
					text = v
				case map[string]any:
					text = fmt.Sprint(v["query"])
				}
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hits := []map[string]any{}
	names := make([]string, 0, len(s.indices))
	for n := range s.indices {
		if index == "" || n == index || strings.HasSuffix(index, "*") && strings.HasPrefix(n, strings.TrimSuffix(index, "*")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		ids := make([]string, 0, len(s.indices[n]))
		for id := range s.indices[n] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			src := s.indices[n][id]
			var decoded any
			json.Unmarshal(src, &decoded)
			flat, _ := json.Marshal(decoded) // JSON escapes normalised, so text compares as text
			if text == "" || strings.Contains(string(flat), text) {
				hits = append(hits, map[string]any{"_index": n, "_id": id, "_score": 1.0, "_source": src})
			}
		}
	}
	total := len(hits)
	resp := map[string]any{"took": 1, "timed_out": false}
	if r.URL.Query().Get("scroll") != "" {
		if size < 0 {
			size = 10
		}
		page := min(size, len(hits))
		s.nextScrl++
		// OpenSearch's scroll ids are URL-safe base64 with padding; these
		// are too, so that an id crosses paths, queries and bodies intact.
		id := base64.URLEncoding.EncodeToString([]byte(fmt.Sprintf("standin-scroll:%d:%s", s.nextScrl, index)))
		s.scrolls[id] = &scroll{rest: hits[page:], size: size, total: total}
		hits = hits[:page]
		resp["_scroll_id"] = id
	} else if size >= 0 && size < len(hits) {
		hits = hits[:size]
	}
	resp["hits"] = map[string]any{"total": map[string]any{"value": total, "relation": "eq"}, "max_score": 1.0, "hits": hits}
	writeJSON(w, 200, resp)
}

// scroll answers /_search/scroll: the next page of an open scroll (GET or
// POST, the id in the path, the scroll_id parameter or the body), or DELETE
// to free scrolls (ids in the path, comma separated, or in the body).
func (s *Server) scroll(w http.ResponseWriter, r *http.Request, rest []string, body []byte) {
	var ids []string
	if len(rest) == 1 {
		ids = strings.Split(rest[0], ",")
	} else if v := r.URL.Query().Get("scroll_id"); v != "" {
		ids = strings.Split(v, ",")
	} else if len(body) > 0 {
		var b struct {
			ScrollID json.RawMessage `json:"scroll_id"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			errorJSON(w, 400, "parse_exception", "cannot parse the scroll body: "+err.Error())
			return
		}
		var one string
		if json.Unmarshal(b.ScrollID, &one) == nil {
			ids = []string{one}
		} else if err := json.Unmarshal(b.ScrollID, &ids); err != nil {
			errorJSON(w, 400, "parse_exception", "scroll_id must be a string or a list of strings")
			return
		}
	}
	if len(ids) == 0 || ids[0] == "" {
		errorJSON(w, 400, "action_request_validation_exception", "Validation Failed: 1: no scroll ids specified;")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodDelete:
		freed := 0
		for _, id := range ids {
			if _, ok := s.scrolls[id]; ok {
				delete(s.scrolls, id)
				freed++
			}
		}
		writeJSON(w, 200, map[string]any{"succeeded": true, "num_freed": freed})
	case http.MethodGet, http.MethodPost:
		sc, ok := s.scrolls[ids[0]]
		if !ok {
			errorJSON(w, 404, "search_context_missing_exception", "No search context found for id ["+ids[0]+"]")
			return
		}
		page := min(sc.size, len(sc.rest))
		hits := sc.rest[:page]
		sc.rest = sc.rest[page:]
		writeJSON(w, 200, map[string]any{
			"took": 1, "timed_out": false, "_scroll_id": ids[0],
			"hits": map[string]any{"total": map[string]any{"value": sc.total, "relation": "eq"}, "max_score": 1.0, "hits": hits},
		})
	default:
		errorJSON(w, 405, "method_not_allowed", "the stand-in scrolls with GET, POST or DELETE, not "+r.Method)
	}
}

func (s *Server) catIndices(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.indices))
	for n := range s.indices {
		names = append(names, n)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	if _, verbose := r.URL.Query()["v"]; verbose {
		fmt.Fprintf(w, "%-6s %-6s %-20s %-9s\n", "health", "status", "index", "docs.count")
	}
	for _, n := range names {
		fmt.Fprintf(w, "%-6s %-6s %-20s %-9d\n", "green", "open", n, len(s.indices[n]))
	}
}

// security answers _plugins/_security/authinfo and
// _plugins/_security/api/rolesmapping/{role}.
func (s *Server) security(w http.ResponseWriter, r *http.Request, segs []string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(segs) == 1 && segs[0] == "authinfo":
		var roles []string
		for name, m := range s.mappings {
			for _, br := range m.BackendRoles {
				if br == s.principal {
					roles = append(roles, name)
				}
			}
		}
		sort.Strings(roles)
		writeJSON(w, 200, map[string]any{
			"user":          "User [name=" + s.principal + ", backend_roles=[" + s.principal + "], requestedTenant=null]",
			"user_name":     s.principal,
			"backend_roles": []string{s.principal},
			"roles":         roles,
			"tenants":       map[string]bool{s.principal: true},
		})
	case len(segs) == 3 && segs[0] == "api" && segs[1] == "rolesmapping":
		role := segs[2]
		switch r.Method {
		case http.MethodGet:
			m, ok := s.mappings[role]
			if !ok {
				writeJSON(w, 404, map[string]string{"status": "NOT_FOUND", "message": "'" + role + "' not found."})
				return
			}
			writeJSON(w, 200, map[string]roleMapping{role: m})
		case http.MethodPut:
			var m roleMapping
			if err := json.Unmarshal(body, &m); err != nil {
				writeJSON(w, 400, map[string]string{"status": "BAD_REQUEST", "message": "invalid JSON: " + err.Error()})
				return
			}
			_, existed := s.mappings[role]
			s.mappings[role] = m
			status, verb := 201, "created"
			if existed {
				status, verb = 200, "updated"
			}
			writeJSON(w, status, map[string]string{"status": map[bool]string{true: "OK", false: "CREATED"}[existed], "message": "'" + role + "' " + verb + "."})
		default:
			errorJSON(w, 405, "method_not_allowed", r.Method+" not allowed on a role mapping")
		}
	default:
		errorJSON(w, 400, "illegal_argument_exception", "the stand-in does not support "+r.URL.Path)
	}
}
