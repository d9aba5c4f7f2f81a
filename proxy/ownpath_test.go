package proxy

import "testing"

// FuzzOwnPathShortcut checks ownPath's shortcut against its plain rule:
// on every path, ownPath and readOwnPath agree.
func FuzzOwnPathShortcut(f *testing.F) {
	for _, s := range []string{"/_sigv4/health", "/_SIGV4/metrics", "/%5Fsigv4/health", "/_sigv4%2Fhealth", "/idx/_doc/1",
		"/x/../_sigv4/health", "/_sigv", "/a_sigv4b", "/\\_sigv4\\health", "/_sIgV4", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n1, o1 := ownPath(raw)
		n2, o2 := readOwnPath(raw)
		if n1 != n2 || o1 != o2 {
			t.Fatalf("%q: ownPath says (%q, %v), the plain rule (%q, %v)", raw, n1, o1, n2, o2)
		}
	})
}
