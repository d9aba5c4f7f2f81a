package transport_test

import (
	"os"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// TestMain isolates the tests from the machine's AWS configuration.
func TestMain(m *testing.M) {
	_, cleanup := testenv.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}
