package credentials

import (
	"strings"
	"testing"
)

// FuzzParseEndpoint: ParseEndpoint must not panic, must only find es or
// aoss, and the region it finds must be a label of the host, shaped like a
// region.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"https://search-d-x.us-east-1.es.amazonaws.com", "abc.cn-north-1.aoss.amazonaws.com.cn:443", "http://[::1]:9200", "://", "x.y-z-1.es.amazonaws.com."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, ok := ParseEndpoint(s)
		if !ok {
			if e != (Endpoint{}) {
				t.Fatalf("not ok but %+v", e)
			}
			return
		}
		if e.Service != "es" && e.Service != "aoss" {
			t.Fatalf("service %q", e.Service)
		}
		if !looksLikeRegion(e.Region) || !strings.Contains(strings.ToLower(s), "."+e.Region+"."+e.Service+".") {
			t.Fatalf("region %q from %q", e.Region, s)
		}
	})
}
