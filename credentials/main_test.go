package credentials

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// closedEndpoint is a loopback URL where nothing listens.
var closedEndpoint string

// TestMain isolates the tests from the machine: no AWS variables from the
// environment, no shared config files, and the SDK's metadata endpoint
// pointed at a closed loopback port, so that no test can reach the real
// link-local metadata addresses.
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "sigv4-credentials-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	closedEndpoint = "http://" + l.Addr().String()
	l.Close()
	os.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", closedEndpoint)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
