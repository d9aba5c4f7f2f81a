package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func runOffline(t *testing.T) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return out.String()
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

func TestOffline(t *testing.T) {
	out := runOffline(t)
	wantLines(t, out, "health status index                docs.count", "green  open   logs-2026.11.22      0        ")
}
