package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/crypto/bcrypt"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
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

// proxyEnv gives this test the environment of a user with exported keys,
// and nothing else of AWS's (TestMain cleared the runner's own).
func proxyEnv(t *testing.T, keys bool) {
	t.Setenv("AWS_PROFILE", "") // --profile sets it; restored after the test
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	id, secret, token := "", "", ""
	if keys {
		id, secret, token = testKeyID, testSecret, testToken
	}
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", token)
}

// startProxy runs `sigv4 proxy` in this process, through run as main
// calls it (so that coverage counts it), on a free loopback port with the
// test keys in the environment, and waits for its health check. At the end
// of the test it stops it through run's context and checks that it drained
// and returned 0, and that its log showed no secret.
func startProxy(t *testing.T, args ...string) (url string, logs *testenv.Buffer) {
	t.Helper()
	proxyEnv(t, true)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs = &testenv.Buffer{}
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, append([]string{"proxy", "--listen", addr}, args...), strings.NewReader(""), io.Discard, logs)
	}()
	url = "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url + "/_sigv4/health")
		if err == nil {
			res.Body.Close()
			break
		}
		select {
		case code := <-exited:
			cancel()
			t.Fatalf("the proxy exited %d:\n%s", code, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the proxy did not start:\n%s", logs)
		}
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != exitOK || !strings.Contains(logs.String(), "sigv4 proxy: stopped") {
				t.Errorf("stopped: exit %d\n%s", code, logs)
			}
		case <-time.After(45 * time.Second):
			t.Errorf("the proxy did not stop\n%s", logs)
		}
		for _, s := range []string{testSecret, testToken} {
			if strings.Contains(logs.String(), s) {
				t.Error("the proxy's log shows a secret")
			}
		}
	})
	return url, logs
}

// proxyRefused runs `sigv4 proxy` in this process with args, which must
// make it refuse to start, and returns its exit code and standard error.
func proxyRefused(t *testing.T, keys bool, args ...string) (code int, stderr string) {
	t.Helper()
	proxyEnv(t, keys)
	var errb bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- run(ctx, append([]string{"proxy"}, args...), strings.NewReader(""), io.Discard, &errb) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		t.Fatalf("%q started; want a refusal\n%s", args, errb.String())
	}
	for _, s := range []string{testSecret, testToken} {
		if strings.Contains(errb.String(), s) {
			t.Errorf("%q: the refusal shows a secret", args)
		}
	}
	return code, errb.String()
}

// oneCommandPrefix reports whether a refusal speaks the command only: its
// first line starts "sigv4 proxy: " once, and no library prefix
// ("sigv4/proxy: ", "sigv4/transport: ") appears anywhere.
func oneCommandPrefix(stderr string) bool {
	first, _, _ := strings.Cut(stderr, "\n")
	return strings.HasPrefix(first, "sigv4 proxy: ") && strings.Count(first, "sigv4 proxy: ") == 1 && !strings.Contains(stderr, "sigv4/")
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
		args   []string
		noKeys bool
		code   int
		says   string
	}{
		{[]string{"--listen", "0.0.0.0:0", e.URL}, false, exitUsage, "is not a loopback address"},
		{[]string{"--listen", "127.0.0.1:0", "--basic-auth-file", bad, e.URL}, false, exitUsage, bad + ":2: not user:bcrypt-hash"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key"), e.URL}, false, exitUsage, "cannot load the listener's certificate"},
		{[]string{"--listen", "127.0.0.1:0", "--client-ca", filepath.Join(dir, "ca.pem"), e.URL}, false, exitUsage, "--client-ca needs TLS"},
		{[]string{"--listen", busy.Addr().String(), "--region", testRegion, e.URL}, false, exitFailure, "cannot listen on " + busy.Addr().String()},
		{[]string{"--listen", "127.0.0.1:0", "search-x.eu-west-1.es.amazonaws.com"}, false, exitUsage, `sigv4 proxy: UPSTREAM_URL "search-x.eu-west-1.es.amazonaws.com" is not a URL such as`},
		{[]string{"--listen", "127.0.0.1:0", "--region", testRegion, e.URL}, true, exitFailure, "no AWS credentials found"},
		// Not http(s): the URL is what is wrong, not its host's service.
		{[]string{"--listen", "127.0.0.1:0", "--region", testRegion, "ftp://search.example"}, false, exitUsage, `sigv4 proxy: UPSTREAM_URL "ftp://search.example" is not a URL such as`},
	} {
		code, stderr := proxyRefused(t, !c.noKeys, c.args...)
		// One prefix, the command's: never the library's, alone or after
		// the command's.
		if code != c.code || !strings.Contains(stderr, c.says) || !oneCommandPrefix(stderr) {
			t.Errorf("%q: exit %d, %q; want %d saying %q", c.args, code, stderr, c.code, c.says)
		}
	}
}

// runProxyCmd starts `sigv4 proxy` with env added and waits for its
// health check; the caller stops it. It returns the command, its URL and
// its log.
func runProxyCmd(t *testing.T, env []string, args ...string) (*exec.Cmd, string, *testenv.Buffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"proxy", "--listen", addr}, args...)...)
	cmd.Env = append(toolEnvList(t), env...)
	logs := &testenv.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url + "/_sigv4/health")
		if err == nil {
			res.Body.Close()
			return cmd, url, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy did not start:\n%s", logs)
		}
	}
}

// waitExit waits up to d for cmd to exit and returns its exit code, or -1
// if it did not.
func waitExit(cmd *exec.Cmd, d time.Duration) int {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			return -2
		}
		return 0
	case <-time.After(d):
		return -1
	}
}

// TestProxyOwnPathsBehindBasicAuth: with --basic-auth-file, the health
// path in any spelling answers without a password but only to GET and
// HEAD; nothing under /_sigv4/ reaches the upstream; the metrics need the
// password unless --public-metrics. Before the fix `DELETE
// /_sigv4%2Fhealth` went through without a password, signed with the
// operator's identity.
func TestProxyOwnPathsBehindBasicAuth(t *testing.T) {
	e := start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	file := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(file, []byte("grafana:"+string(hash)+"\n"), 0o600)
	url, _ := startProxy(t, "--region", testRegion, "--basic-auth-file", file, e.URL)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/_sigv4/health", 200}, {"GET", "/_sigv4%2Fhealth", 200}, {"HEAD", "/_sigv4/health", 200},
		{"DELETE", "/_sigv4/health", 405}, {"DELETE", "/_sigv4%2Fhealth", 405}, {"POST", "/_sigv4%2Fhealth", 405},
		{"DELETE", "/%5Fsigv4/health", 405}, {"GET", "/_sigv4/metrics", 401}, {"GET", "/_sigv4%2Fmetrics", 401},
		{"DELETE", "/books", 401},
	} {
		req, _ := http.NewRequest(c.method, url+"/", strings.NewReader("{}"))
		req.URL.Opaque = c.path // sent as written
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, res.StatusCode, c.want)
		}
	}
	req, _ := http.NewRequest("GET", url+"/_sigv4/metrics", nil)
	req.SetBasicAuth("grafana", "s3cret")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("metrics with the password: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if n := e.Verifier.Accepted() + e.Verifier.Rejected(); n != 0 {
		t.Errorf("the upstream got %d requests", n)
	}
}

// TestProxyStartRefusals: an upstream URL with a password, a signing host
// whose service the proxy does not know (without --service) and bad limit
// flags are refused before anything listens, with what to do; the password
// is never shown. Before the fix the password was in the start-up log,
// the health check and every 502 body, and any host was signed as "es".
func TestProxyStartRefusals(t *testing.T) {
	e := start(t)
	withPassword := strings.Replace(e.URL, "http://", "http://admin:hunter2pw@", 1)
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--region", testRegion, withPassword}, exitUsage, "holds a user name or password"},
		{[]string{"--region", testRegion, "--signing-host", "search.example.com", e.URL}, exitUsage, "*.REGION.es.amazonaws.com"},
		{[]string{"--region", testRegion, "--signing-host", "sqs.eu-west-1.amazonaws.com", e.URL}, exitUsage, "give --service"},
		{[]string{"--region", testRegion, "--max-body", "lots", e.URL}, exitUsage, "is not a size"},
		{[]string{"--region", testRegion, "--external-id", "x", e.URL}, exitUsage, "goes with --role-arn"},
		{[]string{"--region", testRegion, "--role-arn", "admin", e.URL}, exitUsage, "is not a role ARN"},
		{[]string{"--region", testRegion, "--cacert", "x.pem", "--insecure", e.URL}, exitUsage, "contradict"},
		{[]string{"--region", "us-east-1", "--signing-host", "search-x-abc.eu-west-1.es.amazonaws.com", e.URL}, exitUsage, "sigv4 proxy: --region says us-east-1"},
		{[]string{e.URL}, exitUsage, "sigv4 proxy: --region is not set, and 127.0.0.1 is not an Amazon OpenSearch Service host name"},
		{[]string{"--region", testRegion, "--public-url", "proxy:9200", e.URL}, exitUsage, `sigv4 proxy: --public-url "proxy:9200" is not a URL such as`},
		{[]string{"--region", testRegion, "--public-url", "https://u:hunter2pw@proxy:9200", e.URL}, exitUsage, `sigv4 proxy: --public-url "https://u:xxxxx@proxy:9200" is not a URL`},
		{[]string{"--region", testRegion, "--log-format", "xml", e.URL}, exitUsage, `--log-format "xml" is not text or json`},
		{[]string{"--region", testRegion, "--listen", "9200", e.URL}, exitUsage, `--listen "9200" is not host:port`},
		{[]string{"--region", testRegion, "--tls-cert", "a.pem", e.URL}, exitUsage, "TLS needs both --tls-cert and --tls-key"},
		{[]string{"--region", testRegion, "--max-auth-failures", "0", e.URL}, exitUsage, "give a positive number"},
		{[]string{"--region", testRegion, "--body-timeout", "0s", e.URL}, exitUsage, "must be positive durations"},
		{[]string{"--region", testRegion, "--cacert", "/nonexistent/ca.pem", e.URL}, exitUsage, "cannot read --cacert /nonexistent/ca.pem"},
		{[]string{"--region", testRegion, e.URL, "extra"}, exitUsage, "give exactly one UPSTREAM_URL"},
		{[]string{"--region", testRegion, "--no-such-flag", e.URL}, exitUsage, "no-such-flag"},
	} {
		code, stderr := proxyRefused(t, true, append([]string{"--listen", "127.0.0.1:0"}, c.args...)...)
		if !oneCommandPrefix(stderr) {
			t.Errorf("%q: %q; want the command's prefix alone", c.args, stderr)
		}
		if code != c.code || !strings.Contains(stderr, c.says) || strings.Contains(stderr, "hunter2pw") {
			t.Errorf("%q: exit %d, %q; want %d saying %q", c.args, code, stderr, c.code, c.says)
		}
	}
	// With --service, a host the proxy does not know is signed as told.
	url, _ := startProxy(t, "--region", testRegion, "--service", "es", "--signing-host", strings.TrimPrefix(e.URL, "http://"), e.URL)
	if res, err := http.Get(url + "/"); err != nil || res.StatusCode != 200 {
		t.Errorf("with --service es: %v %v", res, err)
	} else {
		res.Body.Close()
	}
}

// TestProxyExecuteAPIHost: an API Gateway host is recognised and signed
// for execute-api in its own region, without --service. Before the fix it
// was signed as "es" and refused.
func TestProxyExecuteAPIHost(t *testing.T) {
	const host = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{testCredentials()}
		o.Region, o.Service = "eu-west-1", "execute-api"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v)
	defer srv.Close()
	url, _ := startProxy(t, "--signing-host", host, srv.URL)
	res, err := http.Get(url + "/prod/items?id=7")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if v.Accepted() != 1 {
		t.Errorf("the API accepted %d, rejected %d", v.Accepted(), v.Rejected())
	}
}

// TestProxyAssumesRole: --role-arn and --external-id assume the role
// through STS (a fake on loopback, named by AWS_ENDPOINT_URL_STS) with the
// credentials found, and requests are signed with the role's credentials.
func TestProxyAssumesRole(t *testing.T) {
	assumed := aws.Credentials{AccessKeyID: "ASIAASSUMEDROLETEST1", SecretAccessKey: "assumed-role-secret", SessionToken: "assumed-role-token-0123"}
	var calls atomic.Int64
	var bad atomic.Value
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		calls.Add(1)
		switch {
		case r.Form.Get("Action") != "AssumeRole":
			bad.Store("action " + r.Form.Get("Action"))
		case r.Form.Get("RoleArn") != testRoleARN || r.Form.Get("ExternalId") != "ext-42":
			bad.Store("role " + r.Form.Get("RoleArn") + " external id " + r.Form.Get("ExternalId"))
		case !strings.Contains(r.Header.Get("Authorization"), "Credential="+testKeyID+"/"):
			bad.Store("not signed with the base credentials")
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/sigv4-cmd-test-role/s</Arn><AssumedRoleId>AROATEST:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			assumed.AccessKeyID, assumed.SecretAccessKey, assumed.SessionToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer sts.Close()
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{assumed}
		o.Region, o.Service = testRegion, "es"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(v)
	defer up.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	url, logs := startProxy(t, "--region", testRegion, "--role-arn", testRoleARN, "--external-id", "ext-42", up.URL)
	for range 3 {
		res, err := http.Get(url + "/_cat/indices")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%v %v\n%s", res, err, logs)
		}
		res.Body.Close()
	}
	if b, _ := bad.Load().(string); b != "" {
		t.Errorf("STS got a wrong request: %s", b)
	}
	if v.Accepted() != 3 || calls.Load() != 1 {
		t.Errorf("upstream accepted %d (rejected %d); STS called %d times, want once (cached)", v.Accepted(), v.Rejected(), calls.Load())
	}
	if strings.Contains(logs.String(), assumed.SecretAccessKey) || strings.Contains(logs.String(), assumed.SessionToken) {
		t.Errorf("the log shows the role's secret:\n%s", logs)
	}
}

// TestProxySignals: SIGHUP drains like SIGTERM (a request in flight is
// answered, then exit 0); SIGTERM with a client whose body never ends
// stops within --body-timeout and exits 0. Before the fix SIGHUP killed
// the requests in flight, and an unfinished body held SIGTERM for ever,
// ending in exit 1.
func TestProxySignals(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, "{}")
	}))
	defer slow.Close()
	defer once.Do(func() { close(release) })

	cmd, url, logs := runProxyCmd(t, nil, "--region", testRegion, slow.URL)
	got := make(chan int, 1)
	go func() {
		res, err := http.Get(url + "/slow")
		if err != nil {
			got <- 0
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the request is in flight
	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	once.Do(func() { close(release) })
	if s := <-got; s != 200 {
		t.Errorf("the request in flight at SIGHUP: %d, want 200\n%s", s, logs)
	}
	if code := waitExit(cmd, 10*time.Second); code != 0 {
		t.Errorf("after SIGHUP: exit %d\n%s", code, logs)
	}

	cmd, url, logs = runProxyCmd(t, nil, "--region", testRegion, "--body-timeout", "1s", slow.URL)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nxx")
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(cmd, 15*time.Second); code != 0 || time.Since(start) > 10*time.Second {
		t.Errorf("SIGTERM with an unfinished body: exit %d after %v\n%s", code, time.Since(start), logs)
	}
}

// TestProxyIdleTimeout: a keep-alive connection idle past --idle-timeout
// is closed by the proxy. Before the fix idle connections were held for
// ever, so that enough of them (a 401 keeps one open, no password needed)
// stopped the proxy accepting any.
func TestProxyIdleTimeout(t *testing.T) {
	e := start(t)
	url, _ := startProxy(t, "--region", testRegion, "--idle-timeout", "300ms", e.URL)
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /_sigv4/health HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = br.ReadByte()
	if err != io.EOF || time.Since(start) > 3*time.Second {
		t.Errorf("an idle connection: %v after %v, want closed (EOF) after about 300ms", err, time.Since(start))
	}
}

// TestProxyRoleRefusedAtStart: when STS refuses the role, the proxy does
// not start: it exits 1 naming the role and STS's reason, in the command's
// words only.
func TestProxyRoleRefusedAtStart(t *testing.T) {
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	}))
	defer sts.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	code, stderr := proxyRefused(t, true, "--listen", "127.0.0.1:0", "--region", testRegion, "--role-arn", testRoleARN, closedURL(t))
	if code != exitFailure || !strings.Contains(stderr, "assuming --role-arn "+testRoleARN+" failed") || !strings.Contains(stderr, "sts:AssumeRole") || !oneCommandPrefix(stderr) {
		t.Errorf("exit %d, %q; want 1 naming the role and STS's refusal", code, stderr)
	}
}
