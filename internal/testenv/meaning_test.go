package testenv

import (
	"maps"
	"slices"
	"testing"
)

// TestReadTarget pins the oracle to OpenSearch's reading: segments
// percent-decoded and never resolved, '+' a space only in the query, the
// last value of a key wins, a '%' without two hex digits stands for itself.
func TestReadTarget(t *testing.T) {
	m := ReadTarget("//idx/a%2Fb/../a+b/_doc?x=1&x=2&q=a+b%2Bc&&lone=%&v")
	if want := []string{"idx", "a/b", "..", "a+b", "_doc"}; !slices.Equal(m.Segments, want) {
		t.Errorf("segments %q, want %q", m.Segments, want)
	}
	if want := map[string]string{"x": "2", "q": "a b+c", "lone": "%", "v": ""}; !maps.Equal(m.Params, want) {
		t.Errorf("params %q, want %q", m.Params, want)
	}
	for _, pair := range [][2]string{{"/a/b", "/a%2Fb"}, {"/a/..", "/a"}, {"/i?q=a+b", "/i?q=a%2Bb"}, {"/i?k=1&k=2", "/i?k=2&k=1"}} {
		if ReadTarget(pair[0]).Equal(ReadTarget(pair[1])) {
			t.Errorf("%s and %s read as the same request", pair[0], pair[1])
		}
	}
	if !ReadTarget("/i/_search?b=2&a=1").Equal(ReadTarget("/i//_search?a=1&b=2")) {
		t.Error("the order of distinct keys and an empty segment changed the meaning")
	}
}
