package standin_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	opensearch "github.com/opensearch-project/opensearch-go/v2"
	"github.com/opensearch-project/opensearch-go/v2/opensearchapi"
)

// searchResult is the part of a search response the tests read.
type searchResult struct {
	ScrollID string `json:"_scroll_id"`
	PitID    string `json:"pit_id"`
	Hits     struct {
		Total struct{ Value int }
		Hits  []struct {
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
			Sort   []any           `json:"sort"`
		}
	}
}

func (r searchResult) ids() []string {
	var ids []string
	for _, h := range r.Hits.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// decodeV2 reads an opensearch-go v2 response, failing the test on a
// transport error or a status other than want.
func decodeV2(t *testing.T, what string, want int, res *opensearchapi.Response, err error, v any) {
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

// TestOpenSearchGoV2 runs opensearch-go v2 through the transport against
// the stand-in.
func TestOpenSearchGoV2(t *testing.T) {
	rg := newRig(t)
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Transport: rg.tr})
	if err != nil {
		t.Fatal(err)
	}
	const ix = "films-v2"
	res, err := client.Indices.Create(ix)
	decodeV2(t, "create index", 200, res, err, nil)

	var idx struct{ Result string }
	res, err = client.Index(ix, strings.NewReader(films[0].source), client.Index.WithDocumentID(films[0].id))
	decodeV2(t, "index", 201, res, err, &idx)
	if idx.Result != "created" {
		t.Errorf("index: result %q", idx.Result)
	}

	var bulk struct {
		Errors bool
		Items  []map[string]struct {
			Status int
			Error  struct{ Type string }
		}
	}
	res, err = client.Bulk(strings.NewReader(bulkBody(ix)))
	decodeV2(t, "bulk", 200, res, err, &bulk)
	if !bulk.Errors || len(bulk.Items) != 5 || bulk.Items[0]["index"].Status != 201 || bulk.Items[4]["index"].Status != 400 ||
		bulk.Items[4]["index"].Error.Type != "mapper_parsing_exception" {
		t.Errorf("bulk: %+v", bulk)
	}

	search := func(what, body string) []string {
		t.Helper()
		var r searchResult
		res, err := client.Search(client.Search.WithIndex(ix), client.Search.WithBody(strings.NewReader(body)))
		decodeV2(t, what, 200, res, err, &r)
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
	res, err = client.Count(client.Count.WithIndex(ix), client.Count.WithBody(strings.NewReader(countQuery)))
	decodeV2(t, "count", 200, res, err, &count)
	if count.Count != 3 {
		t.Errorf("count: %d, want 3", count.Count)
	}

	var up struct{ Result string }
	res, err = client.Update(ix, "3", strings.NewReader(`{"doc":{"rating":9}}`))
	decodeV2(t, "update", 200, res, err, &up)
	if up.Result != "updated" {
		t.Errorf("update: %q", up.Result)
	}
	res, err = client.Update(ix, "6", strings.NewReader(`{"doc":{"title":"Ran"},"upsert":{"title":"Ran","year":1985,"genre":"drama"}}`))
	decodeV2(t, "upsert", 201, res, err, &up)
	if src, _ := rg.store.Doc(ix, "6"); up.Result != "created" || !strings.Contains(string(src), `"year":1985`) {
		t.Errorf("upsert: %q, stored %s", up.Result, src)
	}

	var mget struct {
		Docs []struct {
			Found  bool
			Source struct{ Rating int } `json:"_source"`
		}
	}
	res, err = client.Mget(strings.NewReader(`{"ids":["3","6","missing"]}`), client.Mget.WithIndex(ix))
	decodeV2(t, "mget", 200, res, err, &mget)
	if len(mget.Docs) != 3 || !mget.Docs[0].Found || mget.Docs[0].Source.Rating != 9 || !mget.Docs[1].Found || mget.Docs[2].Found {
		t.Errorf("mget: %+v", mget)
	}

	var page searchResult
	res, err = client.Search(client.Search.WithIndex(ix), client.Search.WithSize(2), client.Search.WithScroll(time.Minute))
	decodeV2(t, "scroll start", 200, res, err, &page)
	seen, id := len(page.Hits.Hits), page.ScrollID
	if page.Hits.Total.Value != 6 || seen != 2 || id == "" {
		t.Fatalf("scroll start: %+v", page)
	}
	for {
		var next searchResult
		res, err = client.Scroll(client.Scroll.WithScrollID(id), client.Scroll.WithScroll(time.Minute))
		decodeV2(t, "scroll", 200, res, err, &next)
		if len(next.Hits.Hits) == 0 {
			break
		}
		seen += len(next.Hits.Hits)
	}
	if seen != 6 {
		t.Errorf("scroll: %d documents, want 6", seen)
	}
	var cleared struct {
		Succeeded bool
		NumFreed  int `json:"num_freed"`
	}
	res, err = client.ClearScroll(client.ClearScroll.WithScrollID(id))
	decodeV2(t, "clear scroll", 200, res, err, &cleared)
	if !cleared.Succeeded || cleared.NumFreed != 1 {
		t.Errorf("clear scroll: %+v", cleared)
	}
	res, err = client.Scroll(client.Scroll.WithScrollID(id))
	decodeV2(t, "scroll after clear", 404, res, err, nil)

	res, pit, err := client.PointInTime.Create(client.PointInTime.Create.WithIndex(ix), client.PointInTime.Create.WithKeepAlive(time.Minute))
	if err != nil || res.StatusCode != 200 || pit == nil || pit.PitID == "" {
		t.Fatalf("pit create: %v %v %+v", err, res, pit)
	}
	res.Body.Close()
	res, err = client.Index(ix, strings.NewReader(`{"title":"Dreams","year":1990,"genre":"fantasy"}`), client.Index.WithDocumentID("7"))
	decodeV2(t, "index after pit", 201, res, err, nil)
	var inPit searchResult
	res, err = client.Search(client.Search.WithBody(strings.NewReader(`{"pit":{"id":"` + pit.PitID + `","keep_alive":"1m"},"sort":[{"year":"desc"}],"size":3}`)))
	decodeV2(t, "pit search", 200, res, err, &inPit)
	sameIDs(t, "pit search", inPit.ids(), []string{"6", "4", "2"}, true)
	if inPit.Hits.Total.Value != 6 || inPit.PitID != pit.PitID {
		t.Errorf("pit search: total %d (want 6: the document indexed after is not in it), pit_id %q", inPit.Hits.Total.Value, inPit.PitID)
	}
	res, del, err := client.PointInTime.Delete(client.PointInTime.Delete.WithPitID(pit.PitID))
	if err != nil || res.StatusCode != 200 || len(del.Pits) != 1 || !del.Pits[0].Successful {
		t.Errorf("pit delete: %v %v %+v", err, res, del)
	}
	res.Body.Close()

	var dbq struct{ Deleted int }
	res, err = client.DeleteByQuery([]string{ix}, strings.NewReader(dbqQuery))
	decodeV2(t, "delete by query", 200, res, err, &dbq)
	if dbq.Deleted != 4 || rg.store.Count(ix) != 3 {
		t.Errorf("delete by query: deleted %d, %d left", dbq.Deleted, rg.store.Count(ix))
	}
	var gone struct {
		Result string
	}
	res, err = client.Delete(ix, "1")
	decodeV2(t, "delete a deleted document", 404, res, err, &gone)
	if gone.Result != "not_found" {
		t.Errorf("delete a deleted document: result %q", gone.Result)
	}
	rg.flow()
}
