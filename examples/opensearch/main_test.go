package main

import (
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOffline(t *testing.T) {
	out := testenv.RunExample(t, run)
	testenv.WantLines(t, out, "create index: 200 OK", "index one document: 201 Created",
		"search hit: 吾輩は猫である by 夏目漱石", "delete index: 200 OK")
	if !strings.Contains(out, "bulk: 100 indexed, 0 failed, in ") { // the request count depends on flush timing
		t.Errorf("bulk line missing:\n%s", out)
	}
}
