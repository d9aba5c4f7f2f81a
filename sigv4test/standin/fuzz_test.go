package standin

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSearch: whatever the body of a search, the stand-in answers with
// JSON and a status OpenSearch would use (200, 400, 404), and never
// panics.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{
		`{"query":{"match":{"title":"tokyo"}}}`,
		`{"query":{"bool":{"must":[{"term":{"year":1953}}],"should":{"range":{"released":{"gte":"now-1d/d"}}},"minimum_should_match":"-1"}}}`,
		`{"query":{"query_string":{"query":"title:tokyo AND year:1953"}},"sort":[{"year":"desc"}],"search_after":[2000]}`,
		`{"size":1,"from":2,"_source":{"includes":["t*"]},"track_total_hits":2}`,
		`{"aggs":{}}`,
		`{"query":{"terms":{"genre.keyword":["drama",1,true]}}}`,
		`{"sort":[{"nope":{"unmapped_type":"long","order":"desc"}}]}`,
	} {
		f.Add(seed)
	}
	s := New()
	for _, doc := range []string{`{"title":"Tokyo Story","year":1953,"released":"1953-11-03","genre":"drama","tags":["a","b"],"o":{"x":1.5}}`, `{"title":"Ran","year":1985}`} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("POST", "/films/_doc", strings.NewReader(doc)))
		if rec.Code != 201 {
			f.Fatalf("index: %d %s", rec.Code, rec.Body)
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("POST", "/films/_search", strings.NewReader(body)))
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 404 || !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s: %d %s", body, rec.Code, rec.Body)
		}
	})
}
