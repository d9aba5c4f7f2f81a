package transport_test

import (
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// TestMain isolates the tests from the machine's AWS configuration.
func TestMain(m *testing.M) { testenv.Main(m) }
