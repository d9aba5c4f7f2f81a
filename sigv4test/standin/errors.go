package standin

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is an error as OpenSearch writes it:
//
//	{"error":{"root_cause":[{"type":T,"reason":R}],"type":T,"reason":R},"status":N}
//
// An error that wraps another (a search phase failing on a shard) has a
// root cause of another type than its own.
type apiError struct {
	status int
	typ    string
	reason string
	// extra holds the fields OpenSearch adds beside type and reason (the
	// index of an index_not_found_exception, for example).
	extra map[string]any
	// cause, when set, is the root cause; otherwise the error is its own.
	cause *apiError
}

func (e *apiError) Error() string { return e.typ + ": " + e.reason }

// object is the error as a JSON object without root_cause.
func (e *apiError) object() map[string]any {
	o := map[string]any{"type": e.typ, "reason": e.reason}
	for k, v := range e.extra {
		o[k] = v
	}
	return o
}

// body is the error object with its root_cause, as it stands under "error".
func (e *apiError) body() map[string]any {
	root := e
	if e.cause != nil {
		root = e.cause
	}
	o := e.object()
	o["root_cause"] = []any{root.object()}
	return o
}

func (e *apiError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, map[string]any{"error": e.body(), "status": e.status})
}

func newError(status int, typ, reason string) *apiError {
	return &apiError{status: status, typ: typ, reason: reason}
}

// unsupported is the answer to anything OpenSearch has that the stand-in
// does not implement: a 400 that names it, never an approximation.
func unsupported(what string) *apiError {
	return newError(400, "parsing_exception", "standin does not support "+what)
}

func badRequest(reason string) *apiError {
	return newError(400, "illegal_argument_exception", reason)
}

func parsingError(reason string) *apiError {
	return newError(400, "parsing_exception", reason)
}

func indexNotFound(name string) *apiError {
	e := newError(404, "index_not_found_exception", "no such index ["+name+"]")
	e.extra = map[string]any{"index": name, "resource.id": name, "resource.type": "index_or_alias", "index_uuid": "_na_"}
	return e
}

// shardFailure wraps an error met while searching, as OpenSearch does: the
// search fails with search_phase_execution_exception and the cause is the
// root cause.
func shardFailure(cause *apiError) *apiError {
	return &apiError{status: cause.status, typ: "search_phase_execution_exception", reason: "all shards failed",
		extra: map[string]any{"phase": "query", "grouped": true}, cause: cause}
}

// noHandler is OpenSearch's answer to a path it has no handler for; its
// error is a plain string.
func noHandler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 400, map[string]any{"error": "no handler found for uri [" + r.URL.RequestURI() + "] and method [" + r.Method + "]"})
}

// methodNotAllowed is OpenSearch's answer to a known path with another
// method: a 405 whose error is a plain string naming the methods allowed.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ","))
	writeJSON(w, 405, map[string]any{
		"error":  "Incorrect HTTP method for uri [" + r.URL.RequestURI() + "] and method [" + r.Method + "], allowed: [" + strings.Join(allowed, ", ") + "]",
		"status": 405,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"type": "exception", "reason": "standin cannot encode its answer: " + err.Error()}, "status": 500})
		status = 500
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
