package credentials

import (
	"os"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// closedEndpoint is a loopback URL where nothing listens.
var closedEndpoint string

// TestMain isolates the tests from the machine's AWS configuration; see
// testenv.Isolate.
func TestMain(m *testing.M) {
	var cleanup func()
	closedEndpoint, cleanup = testenv.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}
