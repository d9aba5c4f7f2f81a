package main

import (
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOffline(t *testing.T) {
	out := testenv.RunExample(t, run)
	testenv.WantLines(t, out, "health status index                docs.count", "green  open   logs-2026.11.22      0        ")
}
