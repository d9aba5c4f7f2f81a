// Package testenv isolates tests from the machine's AWS configuration.
package testenv

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Isolate clears every AWS_* variable, points the shared config and
// credentials files at names that do not exist, and points the SDK's
// metadata endpoint at a closed loopback port, so that no test can read the
// developer's keys or reach the real link-local metadata addresses. Call it
// from TestMain before m.Run; it returns the closed endpoint's URL and a
// function that removes the temporary folder.
func Isolate() (closedEndpoint string, cleanup func()) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "sigv4-testenv")
	if err != nil {
		panic("testenv: " + err.Error())
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("testenv: " + err.Error())
	}
	closedEndpoint = "http://" + l.Addr().String()
	l.Close()
	os.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", closedEndpoint)
	return closedEndpoint, func() { os.RemoveAll(dir) }
}

// Main is a TestMain that isolates the package's tests with Isolate, runs
// them and exits with their status.
func Main(m interface{ Run() int }) {
	_, cleanup := Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// RunExample calls an example's run function with args and returns what it
// printed, failing the test if it returns an error.
func RunExample(t testing.TB, run func(context.Context, []string, io.Writer) error, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return out.String()
}

// WantLines fails the test for each line (without its newline) that out
// does not hold as a whole line.
func WantLines(t testing.TB, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l+"\n") {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

// Tool returns the path of the command name, which .ci/run installs (tests
// never install anything). When it is not on PATH the test fails under
// CI=true and is skipped otherwise, naming the command that installs it.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH, and CI=true: .ci/run installs it with: %s", name, install)
	}
	t.Skipf("%s is not on PATH; install it with: %s", name, install)
	return ""
}
