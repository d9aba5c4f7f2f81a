package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

// bulkMeta is an action's metadata line.
type bulkMeta struct {
	Index         string `json:"_index"`
	ID            string `json:"_id"`
	IfSeqNo       *int64 `json:"if_seq_no"`
	IfPrimaryTerm *int64 `json:"if_primary_term"`
}

var bulkMetaKeys = map[string]bool{"_index": true, "_id": true, "if_seq_no": true, "if_primary_term": true,
	"routing": true, "retry_on_conflict": true, "require_alias": true, "_source": false}

// bulk answers _bulk: index, create, update and delete actions, each with
// its own result or error; "errors" is true when any failed. A malformed
// request fails whole, as in OpenSearch.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request, defaultIndex string, body []byte) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return newError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return badRequest("The bulk request must be terminated by a newline [\\n]")
	}
	type action struct {
		op     string
		meta   bulkMeta
		source []byte
	}
	var actions []action
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT but found [%s]", i+1, tokenName(line)))
		}
		if len(obj) != 1 {
			return badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected a simple value for field [%d fields] but found [START_OBJECT]", i+1, len(obj)))
		}
		var a action
		for op, raw := range obj {
			if op != "index" && op != "create" && op != "update" && op != "delete" {
				return badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", i+1, op))
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(raw, &keys); err != nil {
				return badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]", i+1, tokenName(raw)))
			}
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				if !bulkMetaKeys[k] {
					if k == "pipeline" || k == "version" || k == "version_type" || k == "_source" {
						return unsupported("[" + k + "] in a bulk action")
					}
					return badRequest(fmt.Sprintf("Action/metadata line [%d] contains an unknown parameter [%s]", i+1, k))
				}
			}
			json.Unmarshal(raw, &a.meta)
			a.op = op
		}
		if a.meta.Index == "" {
			a.meta.Index = defaultIndex
		}
		if a.op != "delete" {
			i++
			if i >= len(lines) || len(bytes.TrimSpace(lines[i])) == 0 {
				return badRequest(fmt.Sprintf("Validation Failed: 1: the %s action on line [%d] has no source line;", a.op, i))
			}
			a.source = bytes.TrimSpace(lines[i])
		}
		actions = append(actions, a)
	}
	for _, a := range actions {
		if a.meta.Index == "" {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
		}
		if a.meta.ID == "" && (a.op == "update" || a.op == "delete") {
			return newError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]any, 0, len(actions))
	failed := false
	for _, a := range actions {
		var res map[string]any
		var status int
		var err *apiError
		switch a.op {
		case "index", "create":
			res, status, err = s.apply(writeOp{index: a.meta.Index, id: a.meta.ID, op: a.op, source: a.source, ifSeqNo: a.meta.IfSeqNo, ifPrimaryTerm: a.meta.IfPrimaryTerm})
		case "delete":
			res, status, err = s.remove(a.meta.Index, a.meta.ID, a.meta.IfSeqNo, a.meta.IfPrimaryTerm)
		case "update":
			var u updateReq
			if u, err = parseUpdate(a.source); err == nil {
				res, status, err = s.applyUpdate(a.meta.Index, a.meta.ID, u, a.meta.IfSeqNo, a.meta.IfPrimaryTerm)
			}
		}
		if err != nil {
			failed = true
			res = map[string]any{"_index": a.meta.Index, "_id": a.meta.ID, "status": err.status, "error": err.object()}
		} else {
			res["status"] = status
		}
		items = append(items, map[string]any{a.op: res})
	}
	writeJSON(w, 200, map[string]any{"took": 1, "errors": failed, "items": items})
	return nil
}
