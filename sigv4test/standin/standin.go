// Package standin is a small in-memory stand-in for OpenSearch, to put
// behind a [sigv4test] endpoint in tests of code that signs requests: the
// endpoint checks the signature the way AWS does, and the stand-in answers
// the way OpenSearch 2.x does, so that opensearch-go (v2 and v4),
// olivere/elastic v7, go-elasticsearch v7 or a plain http.Client can run
// against it offline.
//
//	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
//		o.Credentials = []aws.Credentials{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}
//		o.Region, o.Handler = "us-east-1", standin.New()
//	})
//
// # What it implements
//
// What it answers, it answers by OpenSearch's semantics: the same status
// codes, the same response fields, and errors in OpenSearch's shape,
//
//	{"error":{"root_cause":[{"type":T,"reason":R}],"type":T,"reason":R},"status":N}
//
// (404 index_not_found_exception for a missing index; a missing document is
// a 404 with "found":false for a get and "result":"not_found" for a delete;
// 404 document_missing_exception for an update without upsert; 400
// mapper_parsing_exception for a value that does not fit its field).
//
//   - GET and HEAD / (cluster info, version 2.11.0).
//   - Indices: PUT /INDEX (with "mappings" of the types text, keyword,
//     long, integer, short, byte, double, float, half_float, boolean, date,
//     object, and keyword multi-fields; "settings" number_of_shards,
//     number_of_replicas, refresh_interval), HEAD, GET and DELETE /INDEX,
//     GET /INDEX/_mapping, POST /INDEX/_refresh and /_refresh.
//     Writing a document creates its index; fields not mapped are mapped
//     the way dynamic mapping does (a string is text with a keyword
//     multi-field, or a date when it reads as one and not as a number).
//   - Documents: PUT and POST /INDEX/_doc/ID (op_type=create), POST
//     /INDEX/_doc, PUT and POST /INDEX/_create/ID, GET and HEAD
//     /INDEX/_doc/ID, GET /INDEX/_source/ID, DELETE /INDEX/_doc/ID, POST
//     /INDEX/_update/ID (doc, doc_as_upsert, upsert, detect_noop), _mget
//     (docs or ids), with if_seq_no and if_primary_term.
//   - _bulk (index, create, update, delete; per-item results and errors,
//     "errors":true when any item failed; gzip bodies).
//   - Search: _search (GET or POST, q= or a body), _count, _msearch,
//     _delete_by_query. The body may hold query, size, from (size 10 by
//     default, from+size at most 10000), sort (on keyword, numeric,
//     boolean and date fields, _score, _doc; asc or desc; missing values
//     last), search_after, _source (true, false, fields, includes and
//     excludes with * wildcards), track_total_hits, version,
//     seq_no_primary_term, pit, timeout.
//   - Queries: match_all, match_none, match (operator,
//     minimum_should_match, lenient, zero_terms_query), term
//     (case_insensitive), terms (a list), range (gt, gte, lt, lte; dates
//     with date math such as now-1d/d), bool (must, should, filter,
//     must_not, minimum_should_match with OpenSearch's default: 1 when
//     there are should clauses and no must or filter, else 0), ids,
//     exists, prefix, match_phrase (no slop), multi_match (best_fields,
//     most_fields, phrase), and query_string (default_field, fields,
//     default_operator, lenient) in its simple syntax: terms, field:term,
//     "quoted phrases", field:"quoted phrases", "*", field:*, and AND or OR
//     (&&, ||).
//   - Scrolls: _search?scroll=1m, then POST or GET /_search/scroll (the id
//     in the body, the query or the path), DELETE /_search/scroll (ids or
//     _all); contexts expire after their keep-alive.
//   - Point in time, as OpenSearch 2.x has it: POST
//     /INDEX/_search/point_in_time?keep_alive=1m, searches with
//     {"pit":{"id":ID,"keep_alive":"1m"}} on /_search, GET
//     /_search/point_in_time/_all, DELETE /_search/point_in_time (body
//     {"pit_id":[...]}) and /_search/point_in_time/_all.
//   - Cluster: GET /_cluster/health[/INDEX], GET /_cat/indices[/INDEX]
//     (text, with v, or format=json), GET /_nodes (and /_nodes/http,
//     /_nodes/_local/http,os,thread_pool and other node and metric
//     selections; http.publish_address is the host the request was sent to,
//     so that a client's sniffer finds the stand-in again), and GET
//     /_nodes/_local/stats (jvm, breaker, thread_pool, os, process, fs).
//   - The security plugin's _plugins/_security/authinfo and
//     _plugins/_security/api/rolesmapping/ROLE (GET, PUT).
//
// # What it refuses
//
// Everything else is refused, never approximated: an aggregation, a
// highlight, a script, a suggester, a query type or a query option it does
// not implement, a mapping type or parameter, a request parameter, or an
// endpoint is answered with a 400 in OpenSearch's error shape whose reason
// names it, such as
//
//	{"error":{"type":"parsing_exception","reason":"standin does not support the [aggs] section",...},"status":400}
//
// A query type OpenSearch itself does not know is its "unknown query
// [NAME]"; a path OpenSearch has no handler for is its "no handler found
// for uri [...] and method [...]", and a known path with the wrong method
// its 405.
//
// # Where it differs from OpenSearch
//
// It keeps everything in memory, on one node: replicas are never
// assigned, so an index with replicas is yellow, as on a single-node
// OpenSearch, and _cluster/health?wait_for_status=green answers 408 at once
// instead of after its timeout. Every write is visible to searches at
// once, as with refresh=true. Text is analyzed by
// an approximation of the standard analyzer (lower-cased words; each Han
// or Hiragana character a word). There is no relevance scoring: every hit
// scores 1.0, and hits not sorted come in the order they were last
// written.
package standin

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server holds indices of JSON documents. The zero value is not usable;
// create one with New. It is safe for concurrent use.
type Server struct {
	mu        sync.Mutex
	indices   map[string]*index
	principal string
	mappings  map[string]roleMapping
	scrolls   map[string]*cursor
	pits      map[string]*pit
	nextCtx   int
	nodeID    string
	started   time.Time
	now       func() time.Time
}

// index is one index: its mapping and documents.
type index struct {
	name     string
	uuid     string
	created  time.Time
	m        mapping
	docs     map[string]*doc
	seqNo    int64 // the last sequence number given
	shards   int
	replicas int
}

// doc is one document as stored.
type doc struct {
	index   string
	id      string
	source  json.RawMessage
	parsed  map[string]any
	version int64
	seqNo   int64
}

// New returns an empty stand-in. Its security plugin maps the master user
// "admin" to all_access.
func New() *Server {
	return &Server{
		indices:  map[string]*index{},
		scrolls:  map[string]*cursor{},
		pits:     map[string]*pit{},
		nodeID:   randomID(16),
		started:  time.Now(),
		now:      time.Now,
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

// Doc returns a stored document's source, byte for byte as it was sent.
func (s *Server) Doc(index, id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indices[index]
	if ix == nil || ix.docs[id] == nil {
		return nil, false
	}
	return ix.docs[id].source, true
}

// Count returns the number of documents in an index.
func (s *Server) Count(index string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix := s.indices[index]; ix != nil {
		return len(ix.docs)
	}
	return 0
}

func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
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

// Request parameters: those the stand-in honours or that change nothing
// in one in-memory shard, and those of OpenSearch that it refuses. Any
// other is refused as OpenSearch refuses a parameter it does not know.
var (
	paramsKnown = map[string]bool{
		"q": true, "df": true, "default_operator": true, "lenient": true, "size": true, "from": true, "sort": true,
		"scroll": true, "scroll_id": true, "_source": true, "_source_includes": true, "_source_excludes": true,
		"rest_total_hits_as_int": true, "track_total_hits": true, "keep_alive": true, "format": true, "v": true,
		"refresh": true, "op_type": true, "conflicts": true, "wait_for_completion": true, "scroll_size": true,
		"if_seq_no": true, "if_primary_term": true, "local": true, "wait_for_status": true, "ignore_unavailable": true,
		"allow_no_indices": true, "expand_wildcards": true, "version": true, "seq_no_primary_term": true,
		"pretty": true, "human": true, "error_trace": true, "timeout": true, "master_timeout": true,
		"cluster_manager_timeout": true, "wait_for_active_shards": true, "routing": true, "preference": true,
		"typed_keys": true, "search_type": true, "request_cache": true, "ccs_minimize_roundtrips": true,
		"batched_reduce_size": true, "max_concurrent_shard_requests": true, "pre_filter_shard_size": true,
		"allow_partial_search_results": true, "level": true, "flat_settings": true, "include_defaults": true,
		"retry_on_conflict": true, "require_alias": true, "realtime": true, "detect_noop": true,
		"requests_per_second": true, "slices": true, "max_docs": true, "wait_for_no_relocating_shards": true,
		"wait_for_no_initializing_shards": true, "wait_for_nodes": true, "wait_for_events": true,
		"allow_partial_pit_creation": true, "bytes": true, "time": true, "health": true, "pri": true,
		"include_unloaded_segments": true, "expand_wildcards_open": true, "source": true, "source_content_type": true,
	}
	paramsRefused = map[string]bool{
		"filter_path": true, "pipeline": true, "explain": true, "stored_fields": true, "docvalue_fields": true,
		"terminate_after": true, "analyzer": true, "analyze_wildcard": true, "suggest_field": true,
		"suggest_mode": true, "suggest_size": true, "suggest_text": true, "h": true, "s": true, "stats": true,
		"version_type": true, "_source_excludes_deprecated": true, "search_pipeline": true, "phase_took": true,
		"include_named_queries_score": true, "cancel_after_time_interval": true,
	}
)

func checkParams(r *http.Request) *apiError {
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case paramsRefused[k]:
			return unsupported("the [" + k + "] parameter")
		case !paramsKnown[k]:
			return badRequest("request [" + r.URL.Path + "] contains unrecognized parameter: [" + k + "]")
		}
	}
	return nil
}

// elasticOnly are endpoints of Elasticsearch that OpenSearch does not have.
var elasticOnly = map[string]bool{"_pit": true, "_xpack": true, "_ilm": true, "_ml": true, "_async_search": true}

// openSearchAPIs are path segments of OpenSearch 2.x APIs: a path with
// one that the stand-in does not route is refused as unsupported; any
// other is answered as OpenSearch answers a path it has no handler for
// (for example the typed /INDEX/_doc/ID/_update of Elasticsearch 7
// clients, which OpenSearch 2 removed). The APIs the stand-in routes are
// not here: a path of theirs that does not route has the wrong shape.
var openSearchAPIs = map[string]bool{
	"_aliases": true, "_alias": true, "_settings": true, "_stats": true, "_analyze": true, "_reindex": true,
	"_update_by_query": true, "_termvectors": true, "_mtermvectors": true, "_explain": true, "_validate": true,
	"_field_caps": true, "_rank_eval": true, "_search_shards": true, "_template": true, "_index_template": true,
	"_component_template": true, "_snapshot": true, "_tasks": true, "_ingest": true, "_scripts": true,
	"_render": true, "_close": true, "_open": true, "_shrink": true, "_split": true, "_clone": true,
	"_rollover": true, "_forcemerge": true, "_flush": true, "_cache": true, "_segments": true, "_recovery": true,
	"_shard_stores": true, "_upgrade": true, "_resolve": true, "_data_stream": true, "_dangling": true,
	"_cluster": true, "_cat": true, "_plugins": true, "_opendistro": true, "_mapping": true, "_block": true,
	"_search_pipeline": true, "_remotestore": true, "_script_context": true, "_script_language": true,
}

// ServeHTTP answers the supported calls and refuses the others.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		newError(400, "parse_exception", "cannot read the body: "+err.Error()).write(w)
		return
	}
	if src := r.URL.Query().Get("source"); src != "" && len(body) == 0 {
		body = []byte(src)
	}
	if e := checkParams(r); e != nil {
		e.write(w)
		return
	}
	segs := segments(r)
	for _, sg := range segs {
		if elasticOnly[sg] {
			noHandler(w, r)
			return
		}
	}
	if e := s.route(w, r, segs, body); e != nil {
		e.write(w)
	}
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	methodNotAllowed(w, r, methods...)
	return false
}

const (
	get, head, post, put, del = http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete
)

// route dispatches on the path; an error it returns is written as
// OpenSearch writes errors.
func (s *Server) route(w http.ResponseWriter, r *http.Request, segs []string, body []byte) *apiError {
	n := len(segs)
	last := ""
	if n > 0 {
		last = segs[n-1]
	}
	switch {
	case n == 0:
		if allow(w, r, get, head) {
			s.info(w, r)
		}
	case n >= 3 && segs[0] == "_plugins" && segs[1] == "_security":
		s.security(w, r, segs[2:], body)
	case segs[0] == "_cluster" && n >= 2 && segs[1] == "health" && n <= 3:
		if allow(w, r, get) {
			return s.clusterHealth(w, r, segs[2:])
		}
	case segs[0] == "_cat" && n >= 2 && segs[1] == "indices" && n <= 3:
		if allow(w, r, get) {
			return s.catIndices(w, r, segs[2:])
		}
	case segs[0] == "_nodes":
		if allow(w, r, get) {
			return s.nodes(w, r, segs[1:])
		}
	case segs[0] == "_search" && n >= 2 && segs[1] == "scroll" && n <= 3:
		if allow(w, r, get, post, del) {
			return s.scroll(w, r, segs[2:], body)
		}
	case segs[0] == "_search" && n >= 2 && segs[1] == "point_in_time" && n <= 3:
		return s.pitAPI(w, r, segs[2:], body)
	case n == 3 && segs[1] == "_search" && segs[2] == "point_in_time":
		if allow(w, r, post) {
			return s.createPIT(w, r, segs[0])
		}
	case targetAPIs[last].serve != nil && n <= 2:
		if api := targetAPIs[last]; allow(w, r, api.methods...) {
			return api.serve(s, w, r, target(segs), body)
		}
	case last == "_delete_by_query" && n == 2:
		if allow(w, r, post) {
			return s.deleteByQuery(w, r, segs[0], body)
		}
	case n == 1 && !strings.HasPrefix(segs[0], "_"):
		if allow(w, r, get, head, put, del) {
			return s.indexAPI(w, r, segs[0], body)
		}
	case n == 2 && segs[1] == "_mapping" && (r.Method == put || r.Method == post):
		return unsupported("[" + r.Method + " " + r.URL.Path + "] (give the mappings when creating the index)")
	case n == 2 && segs[1] == "_mapping":
		if allow(w, r, get) {
			return s.getMapping(w, segs[0])
		}
	case n == 2 && segs[1] == "_doc", n == 3 && documentAPIs[segs[1]]:
		return s.documentAPI(w, r, segs, body)
	default:
		for _, sg := range segs {
			if openSearchAPIs[sg] {
				return unsupported("[" + r.Method + " " + r.URL.Path + "]")
			}
		}
		noHandler(w, r)
	}
	return nil
}

// documentAPIs are the APIs on one document: /INDEX/API/ID.
var documentAPIs = map[string]bool{"_doc": true, "_create": true, "_source": true, "_update": true}

// documentAPI serves /INDEX/_doc (POST: a new id) and /INDEX/API/ID for
// the documentAPIs.
func (s *Server) documentAPI(w http.ResponseWriter, r *http.Request, segs []string, body []byte) *apiError {
	index := segs[0]
	if len(segs) == 2 {
		if allow(w, r, post) {
			return s.write(w, r, index, "", "index", body)
		}
		return nil
	}
	id := segs[2]
	switch segs[1] {
	case "_doc":
		switch r.Method {
		case put, post:
			op := "index"
			if r.URL.Query().Get("op_type") == "create" {
				op = "create"
			}
			return s.write(w, r, index, id, op, body)
		case get, head:
			return s.getDoc(w, r, index, id, false)
		case del:
			return s.deleteDoc(w, r, index, id)
		default:
			methodNotAllowed(w, r, get, head, put, post, del)
		}
	case "_create":
		if allow(w, r, put, post) {
			return s.write(w, r, index, id, "create", body)
		}
	case "_source":
		if allow(w, r, get, head) {
			return s.getDoc(w, r, index, id, true)
		}
	case "_update":
		if allow(w, r, post) {
			return s.update(w, r, index, id, body)
		}
	}
	return nil
}

// targetAPIs are the APIs served at /_api and /TARGET/_api, by name: the
// methods each allows and what serves it.
var targetAPIs = map[string]struct {
	methods []string
	serve   func(s *Server, w http.ResponseWriter, r *http.Request, target string, body []byte) *apiError
}{
	"_bulk":    {[]string{post, put}, (*Server).bulk},
	"_search":  {[]string{get, post}, (*Server).searchAPI},
	"_msearch": {[]string{get, post}, (*Server).msearch},
	"_count":   {[]string{get, post}, (*Server).count},
	"_mget":    {[]string{get, post}, (*Server).mget},
	"_refresh": {[]string{get, post}, func(s *Server, w http.ResponseWriter, _ *http.Request, target string, _ []byte) *apiError {
		return s.refresh(w, target)
	}},
}

// target is the index part of /INDEX/_api, or "" for /_api.
func target(segs []string) string {
	if len(segs) == 2 {
		return segs[0]
	}
	return ""
}

// resolve returns the indices an index expression names (comma-separated
// names, * wildcards, _all or empty for all), sorted. A missing name is an
// index_not_found_exception unless ignoreUnavailable; s.mu must be held.
func (s *Server) resolve(expr string, ignoreUnavailable bool) ([]*index, *apiError) {
	seen := map[string]bool{}
	var out []*index
	add := func(ix *index) {
		if !seen[ix.name] {
			seen[ix.name] = true
			out = append(out, ix)
		}
	}
	for _, part := range strings.Split(expr, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "" || part == "_all" || part == "*":
			for _, ix := range s.indices {
				add(ix)
			}
		case strings.HasPrefix(part, "-"):
			return nil, unsupported("excluding indices ([" + part + "])")
		case strings.ContainsAny(part, "*?"):
			for name, ix := range s.indices {
				if globMatch(part, name) {
					add(ix)
				}
			}
		default:
			ix := s.indices[part]
			if ix == nil {
				if ignoreUnavailable {
					continue
				}
				return nil, indexNotFound(part)
			}
			add(ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// globMatch matches a name against a pattern where * is any run of
// characters.
func globMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(name, p)
		}
		k := strings.Index(name, p)
		if k < 0 {
			return false
		}
		name = name[k+len(p):]
	}
	return true
}

// decodeBody decodes a JSON request body into v; an empty body leaves v
// as it is.
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return newError(400, "parse_exception", "request body is required to be a JSON object: "+err.Error())
	}
	return nil
}
