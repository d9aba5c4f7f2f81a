package standin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestContextsExpire: a scroll and a point in time live for their
// keep-alive, each use extending it, and then answer as OpenSearch does
// for a context that is gone.
func TestContextsExpire(t *testing.T) {
	s := New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return now }
	do := func(method, target, body string) (int, map[string]any) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
		var out map[string]any
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	for i := 0; i < 3; i++ {
		if code, _ := do("PUT", "/x/_doc/"+string(rune('a'+i)), `{"n":1}`); code != 201 {
			t.Fatal(code)
		}
	}
	_, res := do("POST", "/x/_search?scroll=1m&size=1", "")
	scrollID, _ := res["_scroll_id"].(string)
	_, res = do("POST", "/x/_search/point_in_time?keep_alive=1m", "")
	pitID, _ := res["pit_id"].(string)
	if scrollID == "" || pitID == "" {
		t.Fatalf("scroll %q, pit %q", scrollID, pitID)
	}
	now = now.Add(50 * time.Second)
	if code, _ := do("POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+scrollID+`"}`); code != http.StatusOK {
		t.Errorf("scroll within its keep-alive: %d", code)
	}
	if code, _ := do("POST", "/_search", `{"pit":{"id":"`+pitID+`","keep_alive":"1m"}}`); code != http.StatusOK {
		t.Errorf("pit within its keep-alive: %d", code)
	}
	now = now.Add(50 * time.Second) // 100 s after the start, 50 s after the last use
	if code, _ := do("POST", "/_search/scroll", `{"scroll_id":"`+scrollID+`"}`); code != http.StatusOK {
		t.Errorf("scroll kept alive by its use: %d", code)
	}
	now = now.Add(61 * time.Second)
	code, res := do("POST", "/_search/scroll", `{"scroll_id":"`+scrollID+`"}`)
	if errObj, _ := res["error"].(map[string]any); code != 404 || errObj["root_cause"].([]any)[0].(map[string]any)["type"] != "search_context_missing_exception" {
		t.Errorf("expired scroll: %d %v", code, res)
	}
	now = now.Add(time.Hour)
	if code, _ := do("POST", "/_search", `{"pit":{"id":"`+pitID+`"}}`); code != 404 {
		t.Errorf("expired pit: %d", code)
	}
	if code, res := do("POST", "/x/_search?scroll=2d", ""); code != 400 || !strings.Contains(res["error"].(map[string]any)["reason"].(string), "Keep alive for request (2d) is too large") {
		t.Errorf("keep-alive over a day: %d %v", code, res)
	}
}
