package standin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/olivere/elastic/v7"
)

// TestOlivereElastic runs olivere/elastic v7 through the transport against
// the stand-in, set up as users set it up on AWS: the URL of the domain,
// an http.Client whose Transport signs, and sniffing and health checks on
// (so the client asks /_nodes/http for the nodes, and dials the address
// published there).
func TestOlivereElastic(t *testing.T) {
	rg := newRig(t)
	ctx := context.Background()
	client, err := elastic.NewClient(
		elastic.SetURL(rg.srv.URL),
		elastic.SetHttpClient(&http.Client{Transport: rg.tr}),
		elastic.SetSniff(true),
		elastic.SetHealthcheck(true),
	)
	if err != nil {
		t.Fatalf("NewClient with sniffing and health checks: %v", err)
	}
	defer client.Stop()
	if !rg.called("GET /_nodes/http", 200) || !rg.called("HEAD /", 200) {
		t.Errorf("the client did not sniff (/_nodes/http) and check health (HEAD /)")
	}
	const ix = "films-olivere"

	if _, err := client.CreateIndex(ix).Do(ctx); err != nil {
		t.Fatalf("create index: %v", err)
	}
	idx, err := client.Index().Index(ix).Id(films[0].id).BodyString(films[0].source).Do(ctx)
	if err != nil || idx.Result != "created" {
		t.Fatalf("index: %v %+v", err, idx)
	}
	bulk := client.Bulk()
	for _, f := range films[1:] {
		bulk.Add(elastic.NewBulkIndexRequest().Index(ix).Id(f.id).Doc(json.RawMessage(f.source)))
	}
	bulk.Add(elastic.NewBulkIndexRequest().Index(ix).Id("bad").Doc(map[string]any{"title": "Bad", "year": "nineteen fifty"}))
	br, err := bulk.Do(ctx)
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if !br.Errors || len(br.Items) != 5 || br.Items[0]["index"].Status != 201 || br.Items[4]["index"].Status != 400 ||
		br.Items[4]["index"].Error == nil || br.Items[4]["index"].Error.Type != "mapper_parsing_exception" {
		t.Errorf("bulk: errors %v, failed %d", br.Errors, len(br.Failed()))
	}

	search := func(what string, q elastic.Query, sortField string) []string {
		t.Helper()
		s := client.Search(ix).Query(q)
		if sortField != "" {
			s = s.Sort(sortField, true)
		}
		res, err := s.Do(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var ids []string
		for _, h := range res.Hits.Hits {
			ids = append(ids, h.Id)
		}
		if res.TotalHits() != int64(len(ids)) {
			t.Errorf("%s: total %d, %d hits", what, res.TotalHits(), len(ids))
		}
		return ids
	}
	sameIDs(t, "term", search("term", elastic.NewTermQuery("genre.keyword", "drama"), ""), wantTerm, false)
	sameIDs(t, "term on a text field", search("term on text", elastic.NewTermQuery("title", "Tokyo"), ""), nil, false)
	boolQ := elastic.NewBoolQuery().Must(elastic.NewMatchQuery("director", "kurosawa")).
		Filter(elastic.NewRangeQuery("year").Gte(1951)).MustNot(elastic.NewTermQuery("genre.keyword", "action"))
	sameIDs(t, "bool", search("bool", boolQ, ""), wantBool, false)
	sameIDs(t, "range", search("range", elastic.NewRangeQuery("released").Gte("1953-01-01").Lt("1960-01-01"), "year"), wantRange, true)

	n, err := client.Count(ix).Query(elastic.NewMatchQuery("director", "Kurosawa")).Do(ctx)
	if err != nil || n != 3 {
		t.Errorf("count: %v %d", err, n)
	}

	up, err := client.Update().Index(ix).Id("3").Doc(map[string]any{"rating": 9}).Do(ctx)
	if err != nil || up.Result != "updated" {
		t.Errorf("update: %v %+v", err, up)
	}
	up, err = client.Update().Index(ix).Id("6").Doc(map[string]any{"title": "Ran", "year": 1985, "genre": "drama"}).DocAsUpsert(true).Do(ctx)
	if err != nil || up.Result != "created" {
		t.Errorf("upsert: %v %+v", err, up)
	}

	mg, err := client.Mget().Add(elastic.NewMultiGetItem().Index(ix).Id("3"), elastic.NewMultiGetItem().Index(ix).Id("6"),
		elastic.NewMultiGetItem().Index(ix).Id("missing")).Do(ctx)
	if err != nil || len(mg.Docs) != 3 || !mg.Docs[0].Found || !mg.Docs[1].Found || mg.Docs[2].Found {
		t.Fatalf("mget: %v %+v", err, mg)
	}
	var three struct{ Rating int }
	json.Unmarshal(mg.Docs[0].Source, &three)
	if three.Rating != 9 {
		t.Errorf("mget: document 3 is %s", mg.Docs[0].Source)
	}

	scroll := client.Scroll(ix).Size(2).Sort("_doc", true)
	seen := 0
	for {
		res, err := scroll.Do(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("scroll: %v", err)
		}
		seen += len(res.Hits.Hits)
	}
	if seen != 6 {
		t.Errorf("scroll: %d documents, want 6", seen)
	}
	if err := scroll.Clear(ctx); err != nil {
		t.Errorf("clear scroll: %v", err)
	}

	// Point in time: olivere's own API is Elasticsearch's (/_pit), which
	// OpenSearch does not have; the stand-in refuses it as OpenSearch does.
	// OpenSearch's is called with PerformRequest, and olivere's search
	// sends the pit section as OpenSearch reads it.
	if _, err := client.OpenPointInTime(ix).KeepAlive("1m").Do(ctx); err == nil || !rg.called("POST /"+ix+"/_pit", 400) {
		t.Errorf("olivere's OpenPointInTime (Elasticsearch's /_pit) was not refused: %v", err)
	}
	pr, err := client.PerformRequest(ctx, elastic.PerformRequestOptions{Method: "POST", Path: "/" + ix + "/_search/point_in_time", Params: map[string][]string{"keep_alive": {"1m"}}})
	if err != nil {
		t.Fatalf("pit create: %v", err)
	}
	var pit struct {
		PitID string `json:"pit_id"`
	}
	if json.Unmarshal(pr.Body, &pit); pit.PitID == "" {
		t.Fatalf("pit create: %s", pr.Body)
	}
	if _, err := client.Index().Index(ix).Id("7").BodyString(`{"title":"Dreams","year":1990,"genre":"fantasy"}`).Do(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := client.Search().PointInTime(elastic.NewPointInTimeWithKeepAlive(pit.PitID, "1m")).Sort("year", false).Size(3).Do(ctx)
	if err != nil {
		t.Fatalf("pit search: %v", err)
	}
	var ids []string
	for _, h := range res.Hits.Hits {
		ids = append(ids, h.Id)
	}
	sameIDs(t, "pit search", ids, []string{"6", "4", "2"}, true)
	if res.TotalHits() != 6 {
		t.Errorf("pit search: total %d, want 6 (the document indexed after is not in it)", res.TotalHits())
	}
	pr, err = client.PerformRequest(ctx, elastic.PerformRequestOptions{Method: "DELETE", Path: "/_search/point_in_time", Body: map[string]any{"pit_id": []string{pit.PitID}}})
	if err != nil || pr.StatusCode != 200 {
		t.Errorf("pit delete: %v", err)
	}

	dbq, err := client.DeleteByQuery(ix).Query(elastic.NewTermQuery("genre.keyword", "drama")).Do(ctx)
	if err != nil || dbq.Deleted != 4 || rg.store.Count(ix) != 3 {
		t.Errorf("delete by query: %v %+v, %d left", err, dbq, rg.store.Count(ix))
	}
	if _, err := client.Delete().Index(ix).Id("1").Do(ctx); !elastic.IsNotFound(err) {
		t.Errorf("delete a deleted document: %v, want 404", err)
	}
	client.Stop()
	rg.flow()
}
