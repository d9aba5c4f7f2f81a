package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func toolEnvList(t *testing.T) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + testSecret, "AWS_SESSION_TOKEN=" + testToken,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
	}
}

// startProxy runs `sigv4 proxy` on a free loopback port and waits for its
// health check; at the end of the test it sends SIGTERM and checks that
// the proxy drained and exited 0.
func startProxy(t *testing.T, args ...string) (url string, logs *testenv.Buffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"proxy", "--listen", addr}, args...)...)
	cmd.Env = toolEnvList(t)
	logs = &testenv.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url = "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url + "/_sigv4/health")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the proxy did not start:\n%s", logs)
		}
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		if err != nil || !strings.Contains(logs.String(), "sigv4 proxy: stopped") {
			t.Errorf("after SIGTERM: %v\n%s", err, logs)
		}
		for _, s := range []string{testSecret, testToken} {
			if strings.Contains(logs.String(), s) {
				t.Error("the proxy's log shows a secret")
			}
		}
	})
	return url, logs
}

// TestProxyCommand: curl-style traffic through `sigv4 proxy` reaches the
// upstream signed; the access log has a line per request; SIGTERM drains
// and exits 0.
func TestProxyCommand(t *testing.T) {
	e := start(t)
	url, logs := startProxy(t, "--region", testRegion, e.URL)
	req, _ := http.NewRequest("PUT", url+"/books/_doc/1", strings.NewReader(`{"title":"羅生門"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("PUT through the proxy: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Get(url + "/_cat/indices?v")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET through the proxy: %v %v", res, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "books") || e.Verifier.Accepted() != 2 || e.Verifier.Rejected() != 0 {
		t.Errorf("%s; accepted %d rejected %d", b, e.Verifier.Accepted(), e.Verifier.Rejected())
	}
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(logs.String(), "path=/_cat/indices status=200"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no access log line:\n%s", logs)
		}
	}
}

// TestProxyBasicAuth: with --basic-auth-file, a request without the right
// password gets 401; with it, it goes through, and the client's
// Authorization never reaches the upstream; the health check needs none.
func TestProxyBasicAuth(t *testing.T) {
	e := start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	file := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(file, []byte("# users\ngrafana:"+string(hash)+"\n"), 0o600)
	url, _ := startProxy(t, "--region", testRegion, "--basic-auth-file", file, e.URL)
	for _, c := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"grafana", "wrong", 401}, {"nobody", "s3cret", 401}, {"grafana", "s3cret", 200}} {
		req, _ := http.NewRequest("GET", url+"/", nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s:%s: %d, want %d", c.user, c.pass, res.StatusCode, c.want)
		}
	}
	if e.Verifier.Accepted() != 1 || e.Verifier.Rejected() != 0 {
		t.Errorf("upstream accepted %d, rejected %d (the client's basic auth must not reach it)", e.Verifier.Accepted(), e.Verifier.Rejected())
	}
	res, err := http.Get(url + "/_sigv4/health")
	if err != nil || res.StatusCode != 200 {
		t.Errorf("health without auth: %v %v", res, err)
	}
	res.Body.Close()
}

// TestProxyRefusesToStart: bad input gets a clear error and a non-zero
// exit, before anything listens.
func TestProxyRefusesToStart(t *testing.T) {
	e := start(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "htpasswd")
	os.WriteFile(bad, []byte("ok:$2y$05$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZab\nbroken line\n"), 0o600)
	busy, _ := net.Listen("tcp", "127.0.0.1:0")
	defer busy.Close()
	for _, c := range []struct {
		args []string
		env  []string
		code int
		says string
	}{
		{[]string{"--listen", "0.0.0.0:0", e.URL}, nil, exitUsage, "is not a loopback address"},
		{[]string{"--listen", "127.0.0.1:0", "--basic-auth-file", bad, e.URL}, nil, exitUsage, bad + ":2: not user:bcrypt-hash"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key"), e.URL}, nil, exitUsage, "cannot load the listener's certificate"},
		{[]string{"--listen", "127.0.0.1:0", "--client-ca", filepath.Join(dir, "ca.pem"), e.URL}, nil, exitUsage, "--client-ca needs TLS"},
		{[]string{"--listen", busy.Addr().String(), "--region", testRegion, e.URL}, nil, exitFailure, "cannot listen on " + busy.Addr().String()},
		{[]string{"--listen", "127.0.0.1:0", "search-x.eu-west-1.es.amazonaws.com"}, nil, exitUsage, "is not a URL such as"},
		{[]string{"--listen", "127.0.0.1:0", "--region", testRegion, e.URL}, []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, exitFailure, "no AWS credentials found"},
	} {
		cmd := exec.Command(bin, append([]string{"proxy"}, c.args...)...)
		cmd.Env = append(toolEnvList(t), c.env...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.code || !strings.Contains(errb.String(), c.says) || !strings.HasPrefix(errb.String(), "sigv4 proxy: ") {
			t.Errorf("%q: exit %d, %q; want %d saying %q", c.args, code, errb.String(), c.code, c.says)
		}
	}
}
