package transport_test

import (
	"os"
	"path/filepath"
	"testing"
)

// seekableBody returns an open file holding s: a body that can be sought
// but has no GetBody.
func seekableBody(t *testing.T, s string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
