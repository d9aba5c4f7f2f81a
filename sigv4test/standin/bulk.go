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
	actions, err := parseBulk(body, defaultIndex)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]any, 0, len(actions))
	failed := false
	for _, a := range actions {
		res, status, err := s.bulkAction(a)
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

// bulkItem is one action of a bulk request.
type bulkItem struct {
	op     string // index, create, update or delete
	meta   bulkMeta
	source []byte // the line after the action's; none for delete
}

// parseBulk reads a bulk body: action lines, each but delete's followed
// by its source line, ending with a newline. Any malformed line, or an
// action without an index or (for update and delete) an id, refuses the
// whole request.
func parseBulk(body []byte, defaultIndex string) ([]bulkItem, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, newError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return nil, badRequest("The bulk request must be terminated by a newline [\\n]")
	}
	var actions []bulkItem
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSpace(lines[i])
		if len(line) == 0 {
			continue
		}
		a, err := parseBulkAction(line, i+1)
		if err != nil {
			return nil, err
		}
		if a.meta.Index == "" {
			a.meta.Index = defaultIndex
		}
		if a.op != "delete" {
			i++
			if i >= len(lines) || len(bytes.TrimSpace(lines[i])) == 0 {
				return nil, badRequest(fmt.Sprintf("Validation Failed: 1: the %s action on line [%d] has no source line;", a.op, i))
			}
			a.source = bytes.TrimSpace(lines[i])
		}
		actions = append(actions, a)
	}
	for _, a := range actions {
		if a.meta.Index == "" {
			return nil, newError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
		}
		if a.meta.ID == "" && (a.op == "update" || a.op == "delete") {
			return nil, newError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
		}
	}
	return actions, nil
}

// parseBulkAction reads the action line numbered n: one object naming the
// action, whose keys are bulkMetaKeys.
func parseBulkAction(line []byte, n int) (bulkItem, *apiError) {
	var a bulkItem
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return a, badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT but found [%s]", n, tokenName(line)))
	}
	if len(obj) != 1 {
		return a, badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected a simple value for field [%d fields] but found [START_OBJECT]", n, len(obj)))
	}
	for op, raw := range obj {
		if op != "index" && op != "create" && op != "update" && op != "delete" {
			return a, badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", n, op))
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return a, badRequest(fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]", n, tokenName(raw)))
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !bulkMetaKeys[k] {
				if k == "pipeline" || k == "version" || k == "version_type" || k == "_source" {
					return a, unsupported("[" + k + "] in a bulk action")
				}
				return a, badRequest(fmt.Sprintf("Action/metadata line [%d] contains an unknown parameter [%s]", n, k))
			}
		}
		json.Unmarshal(raw, &a.meta)
		a.op = op
	}
	return a, nil
}

// bulkAction carries out one action; s.mu is held.
func (s *Server) bulkAction(a bulkItem) (res map[string]any, status int, err *apiError) {
	switch a.op {
	case "index", "create":
		return s.apply(writeOp{index: a.meta.Index, id: a.meta.ID, op: a.op, source: a.source, ifSeqNo: a.meta.IfSeqNo, ifPrimaryTerm: a.meta.IfPrimaryTerm})
	case "delete":
		return s.remove(a.meta.Index, a.meta.ID, a.meta.IfSeqNo, a.meta.IfPrimaryTerm)
	default: // update
		u, err := parseUpdate(a.source)
		if err != nil {
			return nil, 0, err
		}
		return s.applyUpdate(a.meta.Index, a.meta.ID, u, a.meta.IfSeqNo, a.meta.IfPrimaryTerm)
	}
}
