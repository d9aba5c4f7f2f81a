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
	wantLines(t, out, "create index: 200 OK", "index one document: 201 Created",
		"search hit: 吾輩は猫である by 夏目漱石", "delete index: 200 OK")
	if !strings.Contains(out, "bulk: 100 indexed, 0 failed, in ") { // the request count depends on flush timing
		t.Errorf("bulk line missing:\n%s", out)
	}
}
