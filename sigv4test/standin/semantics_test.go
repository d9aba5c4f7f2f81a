package standin_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// search runs a search on ix and returns the ids of the hits and the total.
func (rg *rig) search(ix, params, body string) ([]string, int) {
	rg.t.Helper()
	status, b := rg.raw("POST", "/"+ix+"/_search"+params, body)
	if status != 200 {
		rg.t.Fatalf("search %s %s: %d %s", params, body, status, b)
	}
	var r searchResult
	json.Unmarshal([]byte(b), &r)
	return r.ids(), r.Hits.Total.Value
}

// TestQueriesMeanWhatOpenSearchMeans pins each implemented query to the
// documents OpenSearch matches with it, under dynamic mapping: strings are
// text (analyzed: lower-cased words) with a keyword multi-field (the whole
// string), "released" reads as a date, "year" is a long.
func TestQueriesMeanWhatOpenSearchMeans(t *testing.T) {
	rg := newRig(t)
	rg.loadFilms("films")
	for _, c := range []struct{ name, query string }{
		{"match_all", `{"match_all":{}}`},
		{"match_none", `{"match_none":{}}`},
		{"match analyzes: any word, any case", `{"match":{"title":"TOKYO samurai"}}`},
		{"match with operator and", `{"match":{"title":{"query":"tokyo story","operator":"and"}}}`},
		{"match with minimum_should_match", `{"match":{"director":{"query":"akira kon yasujirō","minimum_should_match":"2"}}}`},
		{"match on a keyword field compares the whole value", `{"match":{"genre.keyword":"Drama"}}`},
		{"match on a long field", `{"match":{"year":"1954"}}`},
		{"term on a text field is not analyzed", `{"term":{"title":"Tokyo"}}`},
		{"term on a text field, a lower-cased word", `{"term":{"title":"tokyo"}}`},
		{"term on a keyword", `{"term":{"director.keyword":"Akira Kurosawa"}}`},
		{"term on a keyword is case sensitive", `{"term":{"director.keyword":"akira kurosawa"}}`},
		{"term with case_insensitive", `{"term":{"director.keyword":{"value":"akira kurosawa","case_insensitive":true}}}`},
		{"term on a long, the value a string", `{"term":{"year":"1950"}}`},
		{"term on a missing field", `{"term":{"studio":"Toho"}}`},
		{"terms", `{"terms":{"genre.keyword":["action","documentary"]}}`},
		{"range on a long", `{"range":{"year":{"gt":1950,"lte":1953}}}`},
		{"range on a date", `{"range":{"released":{"gte":"1953-01-01","lt":"1954-05-01"}}}`},
		{"range on a date with date math", `{"range":{"released":{"gte":"1965-03-20||-1d/d","lte":"1965-03-20||/M"}}}`},
		{"range on a keyword", `{"range":{"title.keyword":{"gte":"S","lt":"Tokyo P"}}}`},
		{"bool should alone: one must match", `{"bool":{"should":[{"term":{"year":1950}},{"term":{"year":1965}}]}}`},
		{"bool must with should: should is optional", `{"bool":{"must":{"match":{"director":"kurosawa"}},"should":{"term":{"year":1965}}}}`},
		{"bool filter with should: should is optional", `{"bool":{"filter":{"match":{"director":"kurosawa"}},"should":{"term":{"year":1965}}}}`},
		{"bool minimum_should_match", `{"bool":{"should":[{"match":{"director":"kurosawa"}},{"term":{"genre.keyword":"drama"}},{"range":{"year":{"lt":1951}}}],"minimum_should_match":2}}`},
		{"bool must_not alone", `{"bool":{"must_not":{"match":{"director":"kurosawa"}}}}`},
		{"ids", `{"ids":{"values":["2","4","99"]}}`},
		{"exists", `{"exists":{"field":"released"}}`},
		{"prefix on a keyword", `{"prefix":{"title.keyword":"Tokyo"}}`},
		{"query_string on a field", `{"query_string":{"query":"title:tokyo"}}`},
		{"query_string on all fields", `{"query_string":{"query":"kurosawa"}}`},
		{"query_string with AND", `{"query_string":{"query":"director:kurosawa AND genre:drama"}}`},
		{"query_string with OR", `{"query_string":{"query":"year:1950 OR year:1965"}}`},
		{"query_string with default_operator AND", `{"query_string":{"query":"tokyo story","default_field":"title","default_operator":"AND"}}`},
		{"query_string *", `{"query_string":{"query":"*"}}`},
		{"query_string with a phrase", `{"query_string":{"query":"title:\"tokyo story\" OR \"seven samurai\""}}`},
		{"match_phrase: the words together, in order", `{"match_phrase":{"title":"Tokyo story"}}`},
		{"match_phrase: not in another order", `{"match_phrase":{"title":"story tokyo"}}`},
		{"multi_match on two fields", `{"multi_match":{"query":"kon rashomon","fields":["title","director"]}}`},
		{"multi_match phrase", `{"multi_match":{"query":"akira kurosawa","fields":["title","director^2"],"type":"phrase"}}`},
	} {
		ids, total := rg.search("films", "", `{"query":`+c.query+`,"sort":["_doc"]}`)
		if total != len(ids) {
			t.Errorf("%s: total %d, %d hits", c.name, total, len(ids))
		}
		t.Logf("%-55s %s -> %v", c.name, c.query, ids)
		if want := expectedIDs[c.name]; !slices.Equal(ids, want) {
			t.Errorf("%s: %s matched %v, want %v", c.name, c.query, ids, want)
		}
	}
}

// expectedIDs are the documents OpenSearch matches, in the order indexed.
var expectedIDs = map[string][]string{
	"match_all":                                         {"1", "2", "3", "4", "5"},
	"match_none":                                        nil,
	"match analyzes: any word, any case":                {"1", "2", "4"},
	"match with operator and":                           {"1"},
	"match with minimum_should_match":                   nil,
	"match on a keyword field compares the whole value": nil,
	"match on a long field":                             {"2"},
	"term on a text field is not analyzed":              nil,
	"term on a text field, a lower-cased word":          {"1", "4"},
	"term on a keyword":                                 {"2", "3", "5"},
	"term on a keyword is case sensitive":               nil,
	"term with case_insensitive":                        {"2", "3", "5"},
	"term on a long, the value a string":                {"3"},
	"term on a missing field":                           nil,
	"terms":                                             {"2", "4"},
	"range on a long":                                   {"1", "5"},
	"range on a date":                                   {"1", "2"},
	"range on a date with date math":                    {"4"},
	"range on a keyword":                                {"2", "4"},
	"bool should alone: one must match":                 {"3", "4"},
	"bool must with should: should is optional":         {"2", "3", "5"},
	"bool filter with should: should is optional":       {"2", "3", "5"},
	"bool minimum_should_match":                         {"3", "5"},
	"bool must_not alone":                               {"1", "4"},
	"ids":                                               {"2", "4"},
	"exists":                                            {"1", "2", "3", "4", "5"},
	"prefix on a keyword":                               {"1", "4"},
	"query_string on a field":                           {"1", "4"},
	"query_string on all fields":                        {"2", "3", "5"},
	"query_string with AND":                             {"3", "5"},
	"query_string with OR":                              {"3", "4"},
	"query_string with default_operator AND":            {"1"},
	"query_string *":                                    {"1", "2", "3", "4", "5"},
	"query_string with a phrase":                        {"1", "2"},
	"match_phrase: the words together, in order":        {"1"},
	"match_phrase: not in another order":                nil,
	"multi_match on two fields":                         {"3", "4"},
	"multi_match phrase":                                {"2", "3", "5"},
}

// TestPagingAndSorting: size 10 by default, from, sort on a field in
// either order with missing values last, search_after, and q= on the URL.
func TestPagingAndSorting(t *testing.T) {
	rg := newRig(t)
	var bulk strings.Builder
	for i := 1; i <= 15; i++ {
		src := fmt.Sprintf(`{"n":%d,"name":"doc %02d"}`, i, i)
		if i == 15 {
			src = `{"name":"no n"}`
		}
		fmt.Fprintf(&bulk, `{"index":{"_id":"%d"}}`+"\n%s\n", i, src)
	}
	if st, b := rg.raw("POST", "/nums/_bulk", bulk.String()); st != 200 || strings.Contains(b, `"errors":true`) {
		t.Fatalf("bulk: %d %s", st, b)
	}
	ids, total := rg.search("nums", "", `{}`)
	if total != 15 || len(ids) != 10 || ids[0] != "1" || ids[9] != "10" {
		t.Errorf("default size: total %d, ids %v", total, ids)
	}
	if ids, _ := rg.search("nums", "", `{"from":10}`); !slices.Equal(ids, []string{"11", "12", "13", "14", "15"}) {
		t.Errorf("from 10: %v", ids)
	}
	if ids, _ := rg.search("nums", "", `{"size":3,"sort":[{"n":"desc"}]}`); !slices.Equal(ids, []string{"14", "13", "12"}) {
		t.Errorf("sort desc: %v", ids)
	}
	if ids, _ := rg.search("nums", "", `{"size":2,"from":13,"sort":[{"n":{"order":"asc"}}]}`); !slices.Equal(ids, []string{"14", "15"}) {
		t.Errorf("sort asc, missing last: %v", ids)
	}
	if ids, _ := rg.search("nums", "", `{"size":3,"sort":[{"name.keyword":"desc"}],"search_after":["doc 13"]}`); !slices.Equal(ids, []string{"12", "11", "10"}) {
		t.Errorf("search_after: %v", ids)
	}
	if ids, _ := rg.search("nums", "?size=2&sort=n:desc", ``); !slices.Equal(ids, []string{"14", "13"}) {
		t.Errorf("size and sort in the URL: %v", ids)
	}
	if ids, total := rg.search("nums", "?q="+url.QueryEscape("name:07 OR n:3"), ``); total != 2 || !slices.Equal(ids, []string{"3", "7"}) {
		t.Errorf("q=: %v", ids)
	}
	if st, b := rg.raw("POST", "/nums/_search", `{"from":9995,"size":10}`); st != 400 || !strings.Contains(b, "Result window is too large") {
		t.Errorf("from+size over 10000: %d %s", st, b)
	}
	if st, b := rg.raw("POST", "/nums/_search", `{"_source":["n"],"size":1}`); st != 200 || !strings.Contains(b, `"_source":{"n":1}`) {
		t.Errorf("_source includes: %d %s", st, b)
	}
	if st, b := rg.raw("POST", "/nums/_count", `{"query":{"range":{"n":{"gte":10}}}}`); st != 200 || !strings.Contains(b, `"count":5`) {
		t.Errorf("count: %d %s", st, b)
	}
	st, b := rg.raw("POST", "/_msearch", `{"index":"nums"}`+"\n"+`{"query":{"term":{"n":2}}}`+"\n"+`{"index":"nums"}`+"\n"+`{"aggs":{}}`+"\n")
	var ms struct {
		Responses []struct {
			Status int
			Hits   struct{ Total struct{ Value int } }
			Error  struct{ Reason string }
		}
	}
	json.Unmarshal([]byte(b), &ms)
	if st != 200 || len(ms.Responses) != 2 || ms.Responses[0].Status != 200 || ms.Responses[0].Hits.Total.Value != 1 ||
		ms.Responses[1].Status != 400 || ms.Responses[1].Error.Reason != "standin does not support the [aggs] section" {
		t.Errorf("msearch: %d %s", st, b)
	}
}

// TestBulkItems: each action has its own result; a failure makes
// "errors" true and leaves the other actions done.
func TestBulkItems(t *testing.T) {
	rg := newRig(t)
	body := strings.Join([]string{
		`{"create":{"_index":"b","_id":"1"}}`, `{"n":1}`,
		`{"create":{"_index":"b","_id":"1"}}`, `{"n":2}`,
		`{"update":{"_index":"b","_id":"1"}}`, `{"doc":{"m":1}}`,
		`{"update":{"_index":"b","_id":"2"}}`, `{"doc":{"m":1}}`,
		`{"delete":{"_index":"b","_id":"3"}}`,
		`{"index":{"_index":"b","_id":"4"}}`, `{"n":"four"}`,
		`{"delete":{"_index":"b","_id":"1"}}`,
	}, "\n") + "\n"
	st, b := rg.raw("POST", "/_bulk", body)
	var res struct {
		Errors bool
		Items  []map[string]struct {
			Status int
			Result string
			Error  struct{ Type string }
		}
	}
	json.Unmarshal([]byte(b), &res)
	want := []string{"create 201 created ", "create 409  version_conflict_engine_exception", "update 200 updated ",
		"update 404  document_missing_exception", "delete 404 not_found ", "index 400  mapper_parsing_exception", "delete 200 deleted "}
	var got []string
	for _, it := range res.Items {
		for op, r := range it {
			got = append(got, fmt.Sprintf("%s %d %s %s", op, r.Status, r.Result, r.Error.Type))
		}
	}
	if st != 200 || !res.Errors || !slices.Equal(got, want) {
		t.Errorf("bulk: %d\n got %q\nwant %q\n%s", st, got, want, b)
	}
	if st, b := rg.raw("POST", "/_bulk", `{"index":{"_index":"b"}}`); st != 400 || !strings.Contains(b, "must be terminated by a newline") {
		t.Errorf("bulk without the final newline: %d %s", st, b)
	}
}

// TestClusterAPIs: what clients and sniffers read from the cluster APIs.
func TestClusterAPIs(t *testing.T) {
	rg := newRig(t)
	if st, _ := rg.raw("HEAD", "/", ""); st != 200 {
		t.Errorf("HEAD /: %d", st)
	}
	if st, b := rg.raw("GET", "/", ""); st != 200 || !strings.Contains(b, `"distribution":"opensearch"`) || !strings.Contains(b, `"number":"2.11.0"`) {
		t.Errorf("GET /: %d %s", st, b)
	}
	rg.raw("PUT", "/one", `{"settings":{"index":{"number_of_replicas":0}}}`)
	if st, b := rg.raw("GET", "/_cluster/health", ""); st != 200 || !strings.Contains(b, `"status":"green"`) || !strings.Contains(b, `"number_of_nodes":1`) || !strings.Contains(b, `"active_primary_shards":1`) {
		t.Errorf("health, no replicas: %d %s", st, b)
	}
	rg.raw("PUT", "/two/_doc/1", `{"a":1}`)
	// A replica cannot be assigned on the one node: yellow, as OpenSearch
	// says on a single node.
	if st, b := rg.raw("GET", "/_cluster/health", ""); st != 200 || !strings.Contains(b, `"status":"yellow"`) || !strings.Contains(b, `"unassigned_shards":1`) {
		t.Errorf("health with a replica: %d %s", st, b)
	}
	if st, b := rg.raw("GET", "/_cluster/health?wait_for_status=green&timeout=1s", ""); st != 408 || !strings.Contains(b, `"timed_out":true`) {
		t.Errorf("wait for green: %d %s", st, b)
	}
	st, b := rg.raw("GET", "/_cat/indices?format=json", "")
	var cat []map[string]string
	json.Unmarshal([]byte(b), &cat)
	if st != 200 || len(cat) != 2 || cat[1]["index"] != "two" || cat[1]["health"] != "yellow" || cat[1]["docs.count"] != "1" || cat[0]["rep"] != "0" {
		t.Errorf("_cat/indices?format=json: %d %s", st, b)
	}
	if st, b := rg.raw("GET", "/_cat/indices/two?v", ""); st != 200 || !strings.HasPrefix(b, "health status index uuid") || !strings.Contains(b, "\nyellow open   two ") {
		t.Errorf("_cat/indices/two?v: %d %q", st, b)
	}
	host := strings.TrimPrefix(rg.srv.URL, "http://")
	var nodes struct {
		Nodes map[string]struct {
			HTTP struct {
				PublishAddress string `json:"publish_address"`
			}
			Roles []string
		}
	}
	st, b = rg.raw("GET", "/_nodes/http", "")
	json.Unmarshal([]byte(b), &nodes)
	if st != 200 || len(nodes.Nodes) != 1 {
		t.Fatalf("_nodes/http: %d %s", st, b)
	}
	for _, n := range nodes.Nodes {
		if n.HTTP.PublishAddress != host || !slices.Contains(n.Roles, "data") {
			t.Errorf("_nodes/http: publish_address %q, want %q (the address the request came to); roles %v", n.HTTP.PublishAddress, host, n.Roles)
		}
	}
	var stats struct {
		Nodes map[string]struct {
			JVM struct {
				Mem struct {
					HeapUsedPercent *int `json:"heap_used_percent"`
				}
			}
			Breakers map[string]struct {
				LimitSizeInBytes int64 `json:"limit_size_in_bytes"`
			}
			ThreadPool map[string]struct{ Threads int } `json:"thread_pool"`
		}
	}
	st, b = rg.raw("GET", "/_nodes/_local/stats/jvm,breaker,thread_pool", "")
	json.Unmarshal([]byte(b), &stats)
	for _, n := range stats.Nodes {
		if st != 200 || n.JVM.Mem.HeapUsedPercent == nil || n.Breakers["parent"].LimitSizeInBytes == 0 || n.ThreadPool["search"].Threads == 0 {
			t.Errorf("_nodes/_local/stats: %d %s", st, b)
		}
	}
	if len(stats.Nodes) != 1 {
		t.Errorf("_nodes/_local/stats: %d %s", st, b)
	}
	if st, b := rg.raw("GET", "/_nodes/stats/indices", ""); st != 400 || !strings.Contains(b, "standin does not support the [indices] metric") {
		t.Errorf("a node metric not implemented: %d %s", st, b)
	}
	if st, b := rg.raw("GET", "/two/_mapping", ""); st != 200 || !strings.Contains(b, `"a":{"type":"long"}`) {
		t.Errorf("mapping: %d %s", st, b)
	}
}
