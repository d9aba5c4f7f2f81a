package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// shards is the _shards of a write: one primary, one replica not
// allocated on a single node, as OpenSearch reports it.
var shards = map[string]int{"total": 2, "successful": 1, "failed": 0}

func validIndexName(name string) *apiError {
	bad := func(why string) *apiError {
		e := newError(400, "invalid_index_name_exception", "Invalid index name ["+name+"], "+why)
		e.extra = map[string]any{"index": name, "index_uuid": "_na_"}
		return e
	}
	switch {
	case name != strings.ToLower(name):
		return bad("must be lowercase")
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		return bad(`must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, :]`)
	case strings.HasPrefix(name, "_") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "+"):
		return bad("must not start with '_', '-', or '+'")
	case name == "." || name == "..":
		return bad("must not be '.' or '..'")
	case len(name) > 255:
		return bad("index name is too long")
	}
	return nil
}

// newIndex creates an index; s.mu must be held.
func (s *Server) newIndex(name string, m mapping) (*index, *apiError) {
	if err := validIndexName(name); err != nil {
		return nil, err
	}
	if m == nil {
		m = mapping{}
	}
	ix := &index{name: name, uuid: randomID(16), created: s.now(), m: m, docs: map[string]*doc{}, seqNo: -1, shards: 1, replicas: 1}
	s.indices[name] = ix
	return ix, nil
}

func (s *Server) indexAPI(w http.ResponseWriter, r *http.Request, name string, body []byte) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indices[name]
	switch r.Method {
	case head:
		if ix == nil {
			w.WriteHeader(404)
		} else {
			w.WriteHeader(200)
		}
	case put:
		if ix != nil {
			e := newError(400, "resource_already_exists_exception", "index ["+name+"/"+ix.uuid+"] already exists")
			e.extra = map[string]any{"index": name, "index_uuid": ix.uuid}
			return e
		}
		var req map[string]json.RawMessage
		if err := decodeBody(body, &req); err != nil {
			return err
		}
		shardsN, replicas := 1, 1
		for k, v := range req {
			switch k {
			case "mappings":
			case "settings":
				var err *apiError
				if shardsN, replicas, err = parseSettings(v); err != nil {
					return err
				}
			default:
				return unsupported("[" + k + "] in an index creation")
			}
		}
		m, err := parseMappings(req["mappings"])
		if err != nil {
			return err
		}
		ix, err := s.newIndex(name, m)
		if err != nil {
			return err
		}
		ix.shards, ix.replicas = shardsN, replicas
		writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
	case del:
		ixs, err := s.resolve(name, false)
		if err != nil {
			return err
		}
		for _, ix := range ixs {
			delete(s.indices, ix.name)
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case get:
		ixs, err := s.resolve(name, false)
		if err != nil {
			return err
		}
		out := map[string]any{}
		for _, ix := range ixs {
			out[ix.name] = map[string]any{"aliases": map[string]any{}, "mappings": ix.m.render(), "settings": ix.settings()}
		}
		writeJSON(w, 200, out)
	}
	return nil
}

func (ix *index) settings() map[string]any {
	return map[string]any{"index": map[string]any{
		"creation_date": strconv.FormatInt(ix.created.UnixMilli(), 10), "number_of_shards": strconv.Itoa(ix.shards),
		"number_of_replicas": strconv.Itoa(ix.replicas), "uuid": ix.uuid, "provided_name": ix.name,
		"version": map[string]any{"created": "136327827"},
	}}
}

// parseSettings reads the settings of an index creation, flat
// ("index.number_of_shards") or nested; only the shard and replica counts
// and the refresh interval are accepted.
func parseSettings(raw json.RawMessage) (int, int, *apiError) {
	flat := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if o, ok := v.(map[string]any); ok {
			for k, e := range o {
				walk(prefix+k+".", e)
			}
			return
		}
		flat[strings.TrimSuffix(prefix, ".")] = v
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, 0, newError(400, "settings_exception", "Failed to load settings: "+err.Error())
	}
	walk("", v)
	shardsN, replicas := 1, 1
	for k, v := range flat {
		k = strings.TrimPrefix(k, "index.")
		n, err := strconv.Atoi(fmt.Sprint(v))
		switch k {
		case "number_of_shards":
			if err != nil || n < 1 {
				return 0, 0, badRequest("Failed to parse value [" + fmt.Sprint(v) + "] for setting [index.number_of_shards] must be >= 1")
			}
			shardsN = n
		case "number_of_replicas":
			if err != nil || n < 0 {
				return 0, 0, badRequest("Failed to parse value [" + fmt.Sprint(v) + "] for setting [index.number_of_replicas] must be >= 0")
			}
			replicas = n
		case "refresh_interval":
		default:
			return 0, 0, unsupported("the index setting [index." + k + "]")
		}
	}
	return shardsN, replicas, nil
}

func (s *Server) getMapping(w http.ResponseWriter, name string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, err := s.resolve(name, false)
	if err != nil {
		return err
	}
	out := map[string]any{}
	for _, ix := range ixs {
		out[ix.name] = map[string]any{"mappings": ix.m.render()}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) refresh(w http.ResponseWriter, name string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ixs, err := s.resolve(name, false)
	if err != nil {
		return err
	}
	n := len(ixs)
	writeJSON(w, 200, map[string]any{"_shards": map[string]int{"total": 2 * n, "successful": n, "failed": 0}})
	return nil
}

// writeOp is one write of a document, from the document APIs or _bulk.
type writeOp struct {
	index, id, op string // op: index or create
	source        []byte
	ifSeqNo       *int64
	ifPrimaryTerm *int64
}

// apply stores a document and returns its result, as the index API
// answers it; s.mu must be held.
func (s *Server) apply(o writeOp) (map[string]any, int, *apiError) {
	parsed, err := decodeSource(o.source)
	if err != nil {
		e := newError(400, "mapper_parsing_exception", "failed to parse")
		e.extra = map[string]any{"caused_by": map[string]any{"type": "not_x_content_exception", "reason": "Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes: " + err.Error()}}
		return nil, 0, e
	}
	ix := s.indices[o.index]
	if ix == nil {
		var e *apiError
		if ix, e = s.newIndex(o.index, nil); e != nil {
			return nil, 0, e
		}
	}
	if o.id == "" {
		o.id = randomID(15)
	}
	if len(o.id) > 512 {
		return nil, 0, newError(400, "action_request_validation_exception", "Validation Failed: 1: id ["+o.id[:20]+"...] is too long, must be no longer than 512 bytes but was: "+strconv.Itoa(len(o.id))+";")
	}
	old := ix.docs[o.id]
	if e := checkSeqNo(ix, o.id, old, o.ifSeqNo, o.ifPrimaryTerm); e != nil {
		return nil, 0, e
	}
	if old != nil && o.op == "create" {
		e := newError(409, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", o.id, old.version))
		e.extra = map[string]any{"index": ix.name, "shard": "0", "index_uuid": ix.uuid}
		return nil, 0, e
	}
	added, e := ix.m.mapDocument(o.id, parsed)
	if e != nil {
		return nil, 0, e
	}
	for p, f := range added {
		ix.m[p] = f
	}
	d := ix.store(o.id, append(json.RawMessage(nil), o.source...), parsed)
	result, status := "created", 201
	if old != nil {
		result, status = "updated", 200
	}
	return d.writeResult(result), status, nil
}

func checkSeqNo(ix *index, id string, d *doc, ifSeqNo, ifPrimaryTerm *int64) *apiError {
	if ifSeqNo == nil && ifPrimaryTerm == nil {
		return nil
	}
	if ifSeqNo == nil || ifPrimaryTerm == nil {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: ifSeqNo is set, but primary term is [0];")
	}
	var e *apiError
	switch {
	case d == nil:
		e = newError(409, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, required seqNo [%d], primary term [%d]. but no document was found", id, *ifSeqNo, *ifPrimaryTerm))
	case d.seqNo != *ifSeqNo || *ifPrimaryTerm != 1:
		e = newError(409, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [1]", id, *ifSeqNo, *ifPrimaryTerm, d.seqNo))
	default:
		return nil
	}
	e.extra = map[string]any{"index": ix.name, "shard": "0", "index_uuid": ix.uuid}
	return e
}

// store writes a document with the next sequence number.
func (ix *index) store(id string, src json.RawMessage, parsed map[string]any) *doc {
	ix.seqNo++
	d := &doc{index: ix.name, id: id, source: src, parsed: parsed, version: 1, seqNo: ix.seqNo}
	if old := ix.docs[id]; old != nil {
		d.version = old.version + 1
	}
	ix.docs[id] = d
	return d
}

func (d *doc) writeResult(result string) map[string]any {
	return map[string]any{"_index": d.index, "_id": d.id, "_version": d.version, "result": result,
		"_shards": shards, "_seq_no": d.seqNo, "_primary_term": 1}
}

func seqParams(r *http.Request) (*int64, *int64, *apiError) {
	var out [2]*int64
	for i, k := range []string{"if_seq_no", "if_primary_term"} {
		if v := r.URL.Query().Get(k); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, nil, badRequest("Failed to parse [" + k + "] with value [" + v + "]")
			}
			out[i] = &n
		}
	}
	return out[0], out[1], nil
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, index, id, op string, body []byte) *apiError {
	seq, term, err := seqParams(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, status, err := s.apply(writeOp{index: index, id: id, op: op, source: body, ifSeqNo: seq, ifPrimaryTerm: term})
	if err != nil {
		return err
	}
	writeJSON(w, status, res)
	return nil
}

// getResult is a document as the get API shows it, its source filtered.
func (d *doc) getResult(f *sourceFilter) map[string]any {
	out := map[string]any{"_index": d.index, "_id": d.id, "_version": d.version, "_seq_no": d.seqNo, "_primary_term": 1, "found": true}
	if src, ok := f.apply(d); ok {
		out["_source"] = src
	}
	return out
}

func (s *Server) getDoc(w http.ResponseWriter, r *http.Request, index, id string, sourceOnly bool) *apiError {
	f, err := sourceFilterParams(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indices[index]
	if ix == nil {
		return indexNotFound(index)
	}
	d := ix.docs[id]
	switch {
	case d == nil && sourceOnly:
		return newError(404, "resource_not_found_exception", "Document not found ["+index+"]/["+id+"]")
	case d == nil:
		writeJSON(w, 404, map[string]any{"_index": index, "_id": id, "found": false})
	case sourceOnly:
		src, _ := f.apply(d)
		writeJSON(w, 200, src)
	default:
		writeJSON(w, 200, d.getResult(f))
	}
	return nil
}

// remove deletes a document and returns the delete API's result and
// status; a missing document is a 404 "not_found" that still takes a
// sequence number, as in OpenSearch. s.mu must be held.
func (s *Server) remove(index, id string, ifSeqNo, ifPrimaryTerm *int64) (map[string]any, int, *apiError) {
	ix := s.indices[index]
	if ix == nil {
		return nil, 0, indexNotFound(index)
	}
	d := ix.docs[id]
	if e := checkSeqNo(ix, id, d, ifSeqNo, ifPrimaryTerm); e != nil {
		return nil, 0, e
	}
	ix.seqNo++
	if d == nil {
		return map[string]any{"_index": index, "_id": id, "_version": 1, "result": "not_found",
			"_shards": shards, "_seq_no": ix.seqNo, "_primary_term": 1}, 404, nil
	}
	delete(ix.docs, id)
	return map[string]any{"_index": index, "_id": id, "_version": d.version + 1, "result": "deleted",
		"_shards": shards, "_seq_no": ix.seqNo, "_primary_term": 1}, 200, nil
}

func (s *Server) deleteDoc(w http.ResponseWriter, r *http.Request, index, id string) *apiError {
	seq, term, err := seqParams(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, status, err := s.remove(index, id, seq, term)
	if err != nil {
		return err
	}
	writeJSON(w, status, res)
	return nil
}

// updateReq is the body of an update.
type updateReq struct {
	Doc         json.RawMessage `json:"doc"`
	Upsert      json.RawMessage `json:"upsert"`
	DocAsUpsert bool            `json:"doc_as_upsert"`
	DetectNoop  *bool           `json:"detect_noop"`
}

func parseUpdate(body []byte) (updateReq, *apiError) {
	var raw map[string]json.RawMessage
	var u updateReq
	if err := json.Unmarshal(body, &raw); err != nil {
		return u, newError(400, "x_content_parse_exception", "[1:1] [UpdateRequest] failed to parse: "+err.Error())
	}
	for k := range raw {
		switch k {
		case "doc", "upsert", "doc_as_upsert", "detect_noop":
		case "script", "scripted_upsert":
			return u, unsupported("the [" + k + "] of an update")
		default:
			return u, unsupported("[" + k + "] in an update")
		}
	}
	json.Unmarshal(body, &u)
	if u.Doc == nil {
		return u, newError(400, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
	}
	return u, nil
}

// applyUpdate merges u.Doc into a document (objects merged key by key,
// anything else replaced), or creates it from the upsert; s.mu must be
// held.
func (s *Server) applyUpdate(index, id string, u updateReq, ifSeqNo, ifPrimaryTerm *int64) (map[string]any, int, *apiError) {
	ix := s.indices[index]
	var old *doc
	if ix != nil {
		old = ix.docs[id]
		if e := checkSeqNo(ix, id, old, ifSeqNo, ifPrimaryTerm); e != nil {
			return nil, 0, e
		}
	}
	if old == nil {
		src := u.Upsert
		if u.DocAsUpsert {
			src = u.Doc
		}
		if src == nil {
			e := newError(404, "document_missing_exception", "["+id+"]: document missing")
			e.extra = map[string]any{"index": index, "shard": "0", "index_uuid": "_na_"}
			if ix != nil {
				e.extra["index_uuid"] = ix.uuid
			}
			return nil, 0, e
		}
		return s.apply(writeOp{index: index, id: id, op: "create", source: src})
	}
	patch, err := decodeSource(u.Doc)
	if err != nil {
		return nil, 0, newError(400, "mapper_parsing_exception", "failed to parse [doc]: "+err.Error())
	}
	merged := deepMerge(cloneJSON(old.parsed), patch)
	if (u.DetectNoop == nil || *u.DetectNoop) && reflect.DeepEqual(merged, old.parsed) {
		return old.writeResult("noop"), 200, nil
	}
	src, mErr := json.Marshal(merged)
	if mErr != nil {
		return nil, 0, newError(500, "exception", mErr.Error())
	}
	return s.apply(writeOp{index: index, id: id, op: "index", source: src})
}

func cloneJSON(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		if o, ok := e.(map[string]any); ok {
			e = cloneJSON(o)
		}
		out[k] = e
	}
	return out
}

func deepMerge(dst, patch map[string]any) map[string]any {
	for k, v := range patch {
		if po, ok := v.(map[string]any); ok {
			if do, ok := dst[k].(map[string]any); ok {
				dst[k] = deepMerge(do, po)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, index, id string, body []byte) *apiError {
	seq, term, err := seqParams(r)
	if err != nil {
		return err
	}
	u, err := parseUpdate(body)
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("detect_noop"); v != "" {
		b := v != "false"
		u.DetectNoop = &b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, status, err := s.applyUpdate(index, id, u, seq, term)
	if err != nil {
		return err
	}
	writeJSON(w, status, res)
	return nil
}

func (s *Server) mget(w http.ResponseWriter, r *http.Request, index string, body []byte) *apiError {
	var req struct {
		Docs []struct {
			Index  string          `json:"_index"`
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
		} `json:"docs"`
		IDs []string `json:"ids"`
	}
	var keys map[string]json.RawMessage
	if err := decodeBody(body, &keys); err != nil {
		return err
	}
	for k := range keys {
		if k != "docs" && k != "ids" {
			return parsingError("unknown key [" + k + "] for a START_ARRAY, expected [docs] or [ids]")
		}
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &req); err != nil && len(bytes.TrimSpace(body)) > 0 {
		return parsingError("Failed to parse the _mget body: " + err.Error())
	}
	for _, id := range req.IDs {
		if index == "" {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing for doc 0;")
		}
		req.Docs = append(req.Docs, struct {
			Index  string          `json:"_index"`
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
		}{Index: index, ID: id})
	}
	if len(req.Docs) == 0 {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: no documents to get;")
	}
	def, err := sourceFilterParams(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	for i, spec := range req.Docs {
		ixName := spec.Index
		if ixName == "" {
			ixName = index
		}
		if ixName == "" {
			return newError(400, "action_request_validation_exception", fmt.Sprintf("Validation Failed: 1: index is missing for doc %d;", i))
		}
		f := def
		if spec.Source != nil {
			if f, err = parseSourceFilter(spec.Source); err != nil {
				return err
			}
		}
		ix := s.indices[ixName]
		switch {
		case ix == nil:
			out = append(out, map[string]any{"_index": ixName, "_id": spec.ID, "error": indexNotFound(ixName).body()})
		case ix.docs[spec.ID] == nil:
			out = append(out, map[string]any{"_index": ixName, "_id": spec.ID, "found": false})
		default:
			out = append(out, ix.docs[spec.ID].getResult(f))
		}
	}
	writeJSON(w, 200, map[string]any{"docs": out})
	return nil
}
