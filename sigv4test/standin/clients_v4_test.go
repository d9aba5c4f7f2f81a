package standin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	opensearch "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// TestOpenSearchGoV4 runs opensearch-go v4 through the transport against
// the stand-in, with node discovery on start and the node-stats poller on,
// as v4.8 offers them.
func TestOpenSearchGoV4(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	// v4.8 polls /_nodes/_local/stats every 5 s at the least, unless told
	// otherwise; the test asks for 50 ms.
	t.Setenv("OPENSEARCH_GO_NODE_STATS_INTERVAL", "50ms")
	discover := true
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{
		Addresses:            []string{rg.srv.URL},
		Transport:            rg.tr,
		DiscoverNodesOnStart: &discover,
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Client.Close()
	const ix = "films-v4"

	if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: ix}); err != nil {
		t.Fatalf("create index: %v", err)
	}
	idx, err := client.Index(ctx, opensearchapi.IndexReq{Index: ix, DocumentID: films[0].id, Body: strings.NewReader(films[0].source)})
	if err != nil || idx.Result != "created" {
		t.Fatalf("index: %v %+v", err, idx)
	}
	bulk, err := client.Bulk(ctx, opensearchapi.BulkReq{Body: strings.NewReader(bulkBody(ix))})
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	var statuses []int
	for _, it := range bulk.Items {
		statuses = append(statuses, it["index"].Status)
	}
	if !bulk.Errors || len(statuses) != 5 || statuses[0] != 201 || statuses[3] != 201 || statuses[4] != 400 ||
		bulk.Items[4]["index"].Error == nil || bulk.Items[4]["index"].Error.Type != "mapper_parsing_exception" {
		t.Errorf("bulk: errors %v, statuses %v, last %+v", bulk.Errors, statuses, bulk.Items[len(bulk.Items)-1])
	}

	search := func(what, body string) []string {
		t.Helper()
		res, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{ix}, Body: strings.NewReader(body)})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var ids []string
		for _, h := range res.Hits.Hits {
			ids = append(ids, h.ID)
		}
		if res.Hits.Total.Value != len(ids) {
			t.Errorf("%s: total %d, %d hits", what, res.Hits.Total.Value, len(ids))
		}
		return ids
	}
	sameIDs(t, "term", search("term", termQuery), wantTerm, false)
	sameIDs(t, "term on a text field", search("term on text", termTextQuery), nil, false)
	sameIDs(t, "bool", search("bool", boolQuery), wantBool, false)
	sameIDs(t, "range", search("range", rangeQuery), wantRange, true)

	count, err := client.Indices.Count(ctx, &opensearchapi.IndicesCountReq{Indices: []string{ix}, Body: strings.NewReader(countQuery)})
	if err != nil || count.Count != 3 {
		t.Errorf("count: %v %+v", err, count)
	}

	up, err := client.Update(ctx, opensearchapi.UpdateReq{Index: ix, DocumentID: "3", Body: strings.NewReader(`{"doc":{"rating":9}}`)})
	if err != nil || up.Result != "updated" {
		t.Errorf("update: %v %+v", err, up)
	}
	up, err = client.Update(ctx, opensearchapi.UpdateReq{Index: ix, DocumentID: "6", Body: strings.NewReader(`{"doc":{"title":"Ran","year":1985,"genre":"drama"},"doc_as_upsert":true}`)})
	if err != nil || up.Result != "created" {
		t.Errorf("upsert: %v %+v", err, up)
	}

	mget, err := client.MGet(ctx, opensearchapi.MGetReq{Index: ix, Body: strings.NewReader(`{"ids":["3","6","missing"]}`)})
	if err != nil || len(mget.Docs) != 3 || !mget.Docs[0].Found || !mget.Docs[1].Found || mget.Docs[2].Found {
		t.Fatalf("mget: %v %+v", err, mget)
	}
	var three struct{ Rating int }
	json.Unmarshal(mget.Docs[0].Source, &three)
	if three.Rating != 9 {
		t.Errorf("mget: document 3 is %s", mget.Docs[0].Source)
	}

	// Scroll: 6 documents, 2 a page.
	first, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{ix}, Body: strings.NewReader(`{"size":2,"sort":["_doc"]}`),
		Params: opensearchapi.SearchParams{Scroll: time.Minute}})
	if err != nil || first.ScrollID == nil || first.Hits.Total.Value != 6 || len(first.Hits.Hits) != 2 {
		t.Fatalf("scroll start: %v %+v", err, first)
	}
	seen := len(first.Hits.Hits)
	for {
		page, err := client.Scroll.Get(ctx, opensearchapi.ScrollGetReq{ScrollID: *first.ScrollID, Params: opensearchapi.ScrollGetParams{Scroll: time.Minute}})
		if err != nil {
			t.Fatalf("scroll: %v", err)
		}
		if len(page.Hits.Hits) == 0 {
			break
		}
		seen += len(page.Hits.Hits)
	}
	if seen != 6 {
		t.Errorf("scroll: %d documents, want 6", seen)
	}
	cleared, err := client.Scroll.Delete(ctx, opensearchapi.ScrollDeleteReq{ScrollIDs: []string{*first.ScrollID}})
	if err != nil || !cleared.Succeeded || cleared.NumFreed != 1 {
		t.Errorf("clear scroll: %v %+v", err, cleared)
	}

	// Point in time: a document indexed after it is not in its searches.
	pit, err := client.PointInTime.Create(ctx, opensearchapi.PointInTimeCreateReq{Indices: []string{ix}, Params: opensearchapi.PointInTimeCreateParams{KeepAlive: time.Minute}})
	if err != nil || pit.PitID == "" {
		t.Fatalf("pit create: %v %+v", err, pit)
	}
	if _, err := client.Index(ctx, opensearchapi.IndexReq{Index: ix, DocumentID: "7", Body: strings.NewReader(`{"title":"Dreams","year":1990,"genre":"fantasy"}`)}); err != nil {
		t.Fatal(err)
	}
	var pitIDs []string
	after := ""
	for {
		body := `{"size":4,"pit":{"id":"` + pit.PitID + `","keep_alive":"1m"},"sort":[{"year":"asc"}]` + after + `}`
		res, err := client.Search(ctx, &opensearchapi.SearchReq{Body: strings.NewReader(body)})
		if err != nil {
			t.Fatalf("pit search: %v", err)
		}
		if res.Hits.Total.Value != 6 {
			t.Errorf("pit search: total %d, want 6 (the document indexed after the point in time is not in it)", res.Hits.Total.Value)
		}
		if len(res.Hits.Hits) == 0 {
			break
		}
		for _, h := range res.Hits.Hits {
			pitIDs = append(pitIDs, h.ID)
		}
		last, _ := json.Marshal(res.Hits.Hits[len(res.Hits.Hits)-1].Sort)
		after = `,"search_after":` + string(last)
	}
	sameIDs(t, "pit pages", pitIDs, []string{"3", "5", "1", "2", "4", "6"}, true)
	del, err := client.PointInTime.Delete(ctx, opensearchapi.PointInTimeDeleteReq{PitID: []string{pit.PitID}})
	if err != nil || len(del.Pits) != 1 || !del.Pits[0].Successful {
		t.Errorf("pit delete: %v %+v", err, del)
	}

	dbq, err := client.Document.DeleteByQuery(ctx, opensearchapi.DocumentDeleteByQueryReq{Indices: []string{ix}, Body: strings.NewReader(dbqQuery)})
	if err != nil || dbq.Deleted != 4 {
		t.Errorf("delete by query: %v %+v", err, dbq)
	}
	if n := rg.store.Count(ix); n != 3 {
		t.Errorf("%d documents left, want 3 (2, 4, 7)", n)
	}

	// Give the poller a moment to ask for node stats.
	for deadline := time.Now().Add(2 * time.Second); !rg.called("GET /_nodes/_local/stats", 200) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	client.Client.Close()
	rg.flow()
	for _, want := range []string{"GET /_nodes/http", "GET /_nodes/_local/stats/jvm,breaker,thread_pool"} {
		if !rg.called(want, 200) {
			t.Errorf("v4 did not call %s with success", want)
		}
	}
}
