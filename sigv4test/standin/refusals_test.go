package standin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// raw sends a request through the signing transport and returns the
// status and the body as sent.
func (rg *rig) raw(method, path, body string) (int, string) {
	rg.t.Helper()
	req, _ := http.NewRequest(method, rg.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Transport: rg.tr}).Do(req)
	if err != nil {
		rg.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// loadFilms indexes the films in ix.
func (rg *rig) loadFilms(ix string) {
	rg.t.Helper()
	for _, f := range films {
		if st, b := rg.raw("PUT", "/"+ix+"/_doc/"+f.id, f.source); st != 201 {
			rg.t.Fatalf("index %s: %d %s", f.id, st, b)
		}
	}
}

// TestRefusesWhatItDoesNotImplement: what the stand-in does not implement
// is a 400 in OpenSearch's error shape naming it, never a 200 that
// approximates it; and what OpenSearch itself answers with an error, the
// stand-in answers with the same error.
func TestRefusesWhatItDoesNotImplement(t *testing.T) {
	rg := newRig(t)
	rg.loadFilms("films")
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		typ, reason              string
	}{
		{"aggregations", "POST", "/films/_search", `{"size":0,"aggs":{"by_genre":{"terms":{"field":"genre.keyword"}}}}`,
			400, "parsing_exception", "standin does not support the [aggs] section"},
		{"an unknown query type", "POST", "/films/_search", `{"query":{"fuzzy_match":{"title":"tokio"}}}`,
			400, "parsing_exception", "unknown query [fuzzy_match]"},
		{"a script query", "POST", "/films/_search", `{"query":{"bool":{"filter":{"script":{"script":"doc['year'].value > 1950"}}}}}`,
			400, "parsing_exception", "standin does not support the [script] query"},
		{"highlight", "POST", "/films/_search", `{"query":{"match":{"title":"tokyo"}},"highlight":{"fields":{"title":{}}}}`,
			400, "parsing_exception", "standin does not support the [highlight] section"},
		{"a query OpenSearch has and the stand-in does not", "POST", "/films/_search", `{"query":{"fuzzy":{"title":"tokio"}}}`,
			400, "parsing_exception", "standin does not support the [fuzzy] query"},
		{"a query option", "POST", "/films/_search", `{"query":{"match":{"title":{"query":"tokio","fuzziness":"AUTO"}}}}`,
			400, "parsing_exception", "standin does not support [fuzziness] in the [match] query"},
		{"query_string syntax beyond terms, phrases, AND and OR", "GET", "/films/_search?q=title:tok*", "",
			400, "parsing_exception", `standin does not support wildcards in a query_string query ([title:tok*])`},
		{"a script update", "POST", "/films/_update/1", `{"script":{"source":"ctx._source.year += 1"}}`,
			400, "parsing_exception", "standin does not support the [script] of an update"},
		{"an unknown body key", "POST", "/films/_search", `{"qurey":{"match_all":{}}}`,
			400, "parsing_exception", "Unknown key for a START_OBJECT in [qurey]."},
		{"a parameter OpenSearch has", "GET", "/films/_search?filter_path=hits.hits._id", "",
			400, "parsing_exception", "standin does not support the [filter_path] parameter"},
		{"a parameter OpenSearch does not have", "GET", "/films/_search?sizes=3", "",
			400, "illegal_argument_exception", "request [/films/_search] contains unrecognized parameter: [sizes]"},
		{"sorting on a text field", "POST", "/films/_search", `{"sort":["title"]}`,
			400, "search_phase_execution_exception", "all shards failed"},
		{"a mapping type", "PUT", "/places", `{"mappings":{"properties":{"where":{"type":"geo_point"}}}}`,
			400, "parsing_exception", "standin does not support the [geo_point] field type (field [where])"},
		{"a value that does not fit its field", "PUT", "/films/_doc/9", `{"year":"MCMLIV"}`,
			400, "mapper_parsing_exception", "failed to parse field [year] of type [long] in document with id '9'. Preview of field's value: 'MCMLIV'"},
		{"a term that is not a number for a long field", "POST", "/films/_search", `{"query":{"term":{"year":"nineteen"}}}`,
			400, "search_phase_execution_exception", "all shards failed"},
		{"a method OpenSearch has on a path the stand-in has", "PUT", "/films/_mapping", `{"properties":{"n":{"type":"long"}}}`,
			400, "parsing_exception", "standin does not support [PUT /films/_mapping] (give the mappings when creating the index)"},
		{"an API the stand-in does not have", "POST", "/films/_update_by_query", `{}`,
			400, "parsing_exception", "standin does not support [POST /films/_update_by_query]"},
		{"a missing index", "GET", "/nothing/_search", "",
			404, "index_not_found_exception", "no such index [nothing]"},
		{"a missing document to update", "POST", "/films/_update/99", `{"doc":{"year":2000}}`,
			404, "document_missing_exception", "[99]: document missing"},
		{"creating a document that exists", "PUT", "/films/_create/1", films[0].source,
			409, "version_conflict_engine_exception", "[1]: version conflict, document already exists (current version [1])"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := rg.raw(c.method, c.path, c.body)
			t.Logf("%s %s %s\n  -> %d %s", c.method, c.path, c.body, status, body)
			var e struct {
				Error struct {
					Type, Reason string
					RootCause    []struct{ Type, Reason string } `json:"root_cause"`
				}
				Status int
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("%d %s: %v", status, body, err)
			}
			if status != c.status || e.Status != c.status || e.Error.Type != c.typ || e.Error.Reason != c.reason || len(e.Error.RootCause) != 1 {
				t.Errorf("%d %s\nwant %d %s: %s", status, body, c.status, c.typ, c.reason)
			}
		})
	}
	// The root causes of failures in the search phase.
	if _, body := rg.raw("POST", "/films/_search", `{"sort":["title"]}`); !strings.Contains(body, `"root_cause":[{"reason":"Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead.`) {
		t.Errorf("sort on text: %s", body)
	}
	if _, body := rg.raw("POST", "/films/_search", `{"query":{"term":{"year":"nineteen"}}}`); !strings.Contains(body, `"reason":"failed to create query: For input string: \"nineteen\"","type":"query_shard_exception"`) {
		t.Errorf("term on long: %s", body)
	}
	// Nothing was written by the refused requests.
	if src, _ := rg.store.Doc("films", "1"); rg.store.Count("films") != 5 || !strings.Contains(string(src), `"year":1953`) {
		t.Errorf("refused requests changed the index: %d documents, 1 is %s", rg.store.Count("films"), src)
	}
}

// TestMissingDocumentAnswers: a missing document is a 404, with
// "result":"not_found" for a delete and "found":false for a get, as
// OpenSearch answers; a missing index is index_not_found_exception.
func TestMissingDocumentAnswers(t *testing.T) {
	rg := newRig(t)
	rg.loadFilms("films")
	for _, c := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"DELETE", "/films/_doc/99", 404, `"result":"not_found"`},
		{"GET", "/films/_doc/99", 404, `{"_id":"99","_index":"films","found":false}`},
		{"GET", "/films/_source/99", 404, `"type":"resource_not_found_exception"`},
		{"DELETE", "/nothing/_doc/1", 404, `"type":"index_not_found_exception"`},
		{"GET", "/nothing/_doc/1", 404, `"reason":"no such index [nothing]"`},
		{"HEAD", "/films/_doc/99", 404, ``},
		{"DELETE", "/films/_doc/1", 200, `"result":"deleted"`},
		{"DELETE", "/films/_doc/1", 404, `"result":"not_found"`},
		{"GET", "/_no_such_api", 400, `{"error":"no handler found for uri [/_no_such_api] and method [GET]"}`},
		{"PUT", "/_search", 405, `{"error":"Incorrect HTTP method for uri [/_search] and method [PUT], allowed: [GET, POST]","status":405}`},
	} {
		status, body := rg.raw(c.method, c.path, "")
		t.Logf("%s %s -> %d %s", c.method, c.path, status, body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s, want %d with %s", c.method, c.path, status, body, c.status, c.want)
		}
	}
}

// TestMalformedInputIsAnErrorNotAPanic: bodies that are not what an API
// reads are 400s in OpenSearch's shape.
func TestMalformedInputIsAnErrorNotAPanic(t *testing.T) {
	rg := newRig(t)
	rg.loadFilms("films")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/films/_search", `{"query":null}`},
		{"POST", "/films/_search", `{"query":{"bool":{"must":[1]}}}`},
		{"POST", "/films/_search", `{"query":{"term":{"year":{"value":null}}}}`},
		{"POST", "/films/_search", `{"query":{"range":{"year":5}}}`},
		{"POST", "/films/_search", `{"query":{"match":{}}}`},
		{"POST", "/films/_search", `{"query":{"term":{"a":1},"match":{"b":2}}}`},
		{"POST", "/films/_search", `{"sort":[{"year":1}]}`},
		{"POST", "/films/_search", `{"sort":["year"],"search_after":[1,2]}`},
		{"POST", "/films/_search", `{"size":-5}`},
		{"POST", "/films/_search", `[1,2]`},
		{"POST", "/films/_search", `{"query":{"query_string":{"query":"title:a:b"}}}`},
		{"POST", "/films/_search", `{"query":{"query_string":{"query":"AND tokyo"}}}`},
		{"PUT", "/films/_doc/x", `{"":1}`},
		{"PUT", "/films/_doc/x", `[1]`},
		{"PUT", "/Films/_doc/x", `{"a":1}`},
		{"POST", "/films/_update/1", `{}`},
		{"POST", "/films/_mget", `{"docs":"x"}`},
		{"POST", "/_bulk", "{\"index\":{}}\n{}\n"},
		{"POST", "/_bulk", "{\"nothing\":{}}\n"},
		{"POST", "/_search/scroll", `{"scroll_id":"***"}`},
		{"POST", "/films/_search/point_in_time", ``},
		{"DELETE", "/_search/point_in_time", `{"pit_id":7}`},
		{"POST", "/films/_delete_by_query", `{}`},
	} {
		status, body := rg.raw(c.method, c.path, c.body)
		var e struct {
			Error struct{ Type, Reason string }
		}
		if err := json.Unmarshal([]byte(body), &e); status != 400 || err != nil || e.Error.Type == "" || e.Error.Reason == "" {
			t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, status, body)
		}
	}
}
