package standin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	elasticsearch "github.com/elastic/go-elasticsearch/v7"
	"github.com/elastic/go-elasticsearch/v7/esapi"
)

// decodeES reads a go-elasticsearch response, failing the test on a
// transport error or a status other than want.
func decodeES(t *testing.T, what string, want int, res *esapi.Response, err error, v any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s: %d %s, want %d", what, res.StatusCode, b, want)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, b)
		}
	}
}

// TestGoElasticsearch runs go-elasticsearch v7.13 through the transport
// against the stand-in.
func TestGoElasticsearch(t *testing.T) {
	rg := newRig(t)
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{rg.srv.URL}, Transport: rg.tr})
	if err != nil {
		t.Fatal(err)
	}
	const ix = "films-goes"
	res, err := es.Indices.Create(ix)
	decodeES(t, "create index", 200, res, err, nil)

	var idx struct{ Result string }
	res, err = es.Index(ix, strings.NewReader(films[0].source), es.Index.WithDocumentID(films[0].id))
	decodeES(t, "index", 201, res, err, &idx)
	if idx.Result != "created" {
		t.Errorf("index: %q", idx.Result)
	}
	var bulk struct {
		Errors bool
		Items  []map[string]struct {
			Status int
			Error  struct{ Type string }
		}
	}
	res, err = es.Bulk(strings.NewReader(bulkBody(ix)))
	decodeES(t, "bulk", 200, res, err, &bulk)
	if !bulk.Errors || len(bulk.Items) != 5 || bulk.Items[0]["index"].Status != 201 || bulk.Items[4]["index"].Status != 400 ||
		bulk.Items[4]["index"].Error.Type != "mapper_parsing_exception" {
		t.Errorf("bulk: %+v", bulk)
	}

	search := func(what, body string) []string {
		t.Helper()
		var r searchResult
		res, err := es.Search(es.Search.WithIndex(ix), es.Search.WithBody(strings.NewReader(body)))
		decodeES(t, what, 200, res, err, &r)
		if r.Hits.Total.Value != len(r.Hits.Hits) {
			t.Errorf("%s: total %d, %d hits", what, r.Hits.Total.Value, len(r.Hits.Hits))
		}
		return r.ids()
	}
	sameIDs(t, "term", search("term", termQuery), wantTerm, false)
	sameIDs(t, "term on a text field", search("term on text", termTextQuery), nil, false)
	sameIDs(t, "bool", search("bool", boolQuery), wantBool, false)
	sameIDs(t, "range", search("range", rangeQuery), wantRange, true)

	var count struct{ Count int }
	res, err = es.Count(es.Count.WithIndex(ix), es.Count.WithBody(strings.NewReader(countQuery)))
	decodeES(t, "count", 200, res, err, &count)
	if count.Count != 3 {
		t.Errorf("count: %d", count.Count)
	}

	perform := func(method, path, body string) *esapi.Response {
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := es.Perform(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return &esapi.Response{StatusCode: res.StatusCode, Body: res.Body, Header: res.Header}
	}

	// go-elasticsearch 7.13's Update calls the typed path
	// /INDEX/_doc/ID/_update, which OpenSearch 2 removed: refused as
	// OpenSearch refuses it. The update API is /INDEX/_update/ID.
	var noHandler struct{ Error string }
	res, err = es.Update(ix, "3", strings.NewReader(`{"doc":{"rating":9}}`))
	decodeES(t, "typed update", 400, res, err, &noHandler)
	if noHandler.Error != "no handler found for uri [/"+ix+"/_doc/3/_update] and method [POST]" {
		t.Errorf("typed update: %q", noHandler.Error)
	}
	var up struct{ Result string }
	decodeES(t, "update", 200, perform("POST", "/"+ix+"/_update/3", `{"doc":{"rating":9}}`), nil, &up)
	if up.Result != "updated" {
		t.Errorf("update: %q", up.Result)
	}
	decodeES(t, "upsert", 201, perform("POST", "/"+ix+"/_update/6", `{"doc":{"title":"Ran","year":1985,"genre":"drama"},"doc_as_upsert":true}`), nil, &up)
	decodeES(t, "update that changes nothing", 200, perform("POST", "/"+ix+"/_update/6", `{"doc":{"year":1985}}`), nil, &up)
	if up.Result != "noop" {
		t.Errorf("update that changes nothing: %q, want noop", up.Result)
	}

	var mget struct {
		Docs []struct {
			Found  bool
			Source struct{ Rating int } `json:"_source"`
		}
	}
	res, err = es.Mget(strings.NewReader(`{"docs":[{"_index":"` + ix + `","_id":"3"},{"_index":"` + ix + `","_id":"6"},{"_index":"` + ix + `","_id":"missing"}]}`))
	decodeES(t, "mget", 200, res, err, &mget)
	if len(mget.Docs) != 3 || !mget.Docs[0].Found || mget.Docs[0].Source.Rating != 9 || !mget.Docs[1].Found || mget.Docs[2].Found {
		t.Errorf("mget: %+v", mget)
	}

	var page searchResult
	res, err = es.Search(es.Search.WithIndex(ix), es.Search.WithSize(2), es.Search.WithScroll(time.Minute), es.Search.WithSort("year:desc"))
	decodeES(t, "scroll start", 200, res, err, &page)
	ids, id := page.ids(), page.ScrollID
	for id != "" {
		var next searchResult
		res, err = es.Scroll(es.Scroll.WithScrollID(id), es.Scroll.WithScroll(time.Minute))
		decodeES(t, "scroll", 200, res, err, &next)
		if len(next.Hits.Hits) == 0 {
			break
		}
		ids = append(ids, next.ids()...)
	}
	sameIDs(t, "scroll sorted by year, descending", ids, []string{"6", "4", "2", "1", "5", "3"}, true)
	res, err = es.ClearScroll(es.ClearScroll.WithScrollID(id))
	decodeES(t, "clear scroll", 200, res, err, nil)

	// Point in time: go-elasticsearch's OpenPointInTime is Elasticsearch's
	// /_pit, which OpenSearch does not have; OpenSearch's endpoints go
	// through the client's Perform.
	res, err = es.OpenPointInTime(es.OpenPointInTime.WithIndex(ix), es.OpenPointInTime.WithKeepAlive("1m"))
	decodeES(t, "Elasticsearch's /_pit", 400, res, err, nil)
	var pit struct {
		PitID string `json:"pit_id"`
	}
	decodeES(t, "pit create", 200, perform("POST", "/"+ix+"/_search/point_in_time?keep_alive=1m", ""), nil, &pit)
	res, err = es.Index(ix, strings.NewReader(`{"title":"Dreams","year":1990,"genre":"fantasy"}`), es.Index.WithDocumentID("7"))
	decodeES(t, "index after pit", 201, res, err, nil)
	var inPit searchResult
	res, err = es.Search(es.Search.WithBody(strings.NewReader(`{"pit":{"id":"` + pit.PitID + `"},"query":{"range":{"year":{"lt":1960}}},"sort":["year"]}`)))
	decodeES(t, "pit search", 200, res, err, &inPit)
	sameIDs(t, "pit search", inPit.ids(), []string{"3", "5", "1", "2"}, true)
	var del struct {
		Pits []struct{ Successful bool }
	}
	decodeES(t, "pit delete", 200, perform("DELETE", "/_search/point_in_time", `{"pit_id":["`+pit.PitID+`"]}`), nil, &del)
	if len(del.Pits) != 1 || !del.Pits[0].Successful {
		t.Errorf("pit delete: %+v", del)
	}

	var dbq struct{ Deleted int }
	res, err = es.DeleteByQuery([]string{ix}, strings.NewReader(dbqQuery))
	decodeES(t, "delete by query", 200, res, err, &dbq)
	if dbq.Deleted != 4 || rg.store.Count(ix) != 3 {
		t.Errorf("delete by query: deleted %d, %d left", dbq.Deleted, rg.store.Count(ix))
	}
	var gone struct{ Result string }
	res, err = es.Delete(ix, "1")
	decodeES(t, "delete a deleted document", 404, res, err, &gone)
	if gone.Result != "not_found" {
		t.Errorf("delete a deleted document: %q", gone.Result)
	}
	rg.flow()
}
