package main

import (
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOffline(t *testing.T) {
	out := testenv.RunExample(t, run)
	// _cat/indices?v as OpenSearch writes it; on the stand-in's one node an
	// index with a replica is yellow, and the uuid is random.
	testenv.WantLines(t, out, "health status index           uuid                   pri rep docs.count docs.deleted store.size pri.store.size")
	if !strings.Contains(out, "\nyellow open   logs-2026.11.22 ") || !strings.Contains(out, "   1   1          0            0       208b           208b\n") {
		t.Errorf("no row for logs-2026.11.22:\n%s", out)
	}
}
