package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

var bin string // the built tool, for the tests that need a process: signals, a non-loopback listener

// toolToken is the session token tool() exports.
var toolToken = testToken

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sigv4-cmd")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "sigv4")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		panic("building the tool: " + err.Error() + "\n" + string(out))
	}
	_, cleanup := testenv.Isolate()
	code := m.Run()
	cleanup()
	os.RemoveAll(dir) // testenv.Main would exit before a deferred removal
	os.Exit(code)
}

// tool runs the command in this process (see toolEnv) with the environment
// a user on Lambda or with exported keys would have, pointed at nothing
// else.
func tool(t *testing.T, secret, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return toolEnv(t, secret, stdin, nil, args...)
}

// signatureRe matches a signature, which no output may show.
var signatureRe = regexp.MustCompile(`Signature=[0-9a-f]{64}`)

// toolEnv is tool with more environment variables ("NAME=value", set for
// the test with t.Setenv). It runs the command in this process, through run
// as main calls it, so that coverage counts it; the environment is the
// test's alone (TestMain cleared the runner's AWS variables).
func toolEnv(t *testing.T, secret, stdin string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	base := []string{
		"HOME=" + t.TempDir(), "AWS_PROFILE=",
		"AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=" + toolToken,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
	}
	for _, kv := range append(base, env...) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	for _, s := range []string{testSecret, toolToken, strings.ReplaceAll(toolToken, "/", `\/`)} {
		if strings.Contains(out.String()+errb.String(), s) {
			t.Errorf("output shows a secret (%s)", s)
		}
	}
	if signatureRe.MatchString(out.String() + errb.String()) {
		t.Errorf("output shows a signature")
	}
	return code, out.String(), errb.String()
}

func TestRequests(t *testing.T) {
	e := start(t)
	r := []string{"--region", testRegion}

	code, out, errs := tool(t, testSecret, "", append(r, e.URL+"/")...)
	if code != 0 || !strings.Contains(out, `"distribution":"opensearch"`) {
		t.Fatalf("GET /: %d %q %q", code, out, errs)
	}

	// PUT with -d @file holding Japanese text: stored byte for byte.
	doc := []byte(`{"title":"吾輩は猫である","body":"名前はまだ無い。"}`)
	file := filepath.Join(t.TempDir(), "doc.json")
	os.WriteFile(file, doc, 0o600)
	code, out, errs = tool(t, testSecret, "", append(r, "-X", "PUT", "-d", "@"+file, e.URL+"/books/_doc/%E7%8C%AB")...)
	if code != 0 || !strings.Contains(out, `"result":"created"`) {
		t.Fatalf("PUT @file: %d %q %q", code, out, errs)
	}
	if got, _ := e.Store.Doc("books", "猫"); !bytes.Equal(got, doc) {
		t.Errorf("stored %q, want the file's bytes", got)
	}

	// -d @- from standard input; flags after the URL, as with curl.
	code, out, _ = tool(t, testSecret, `{"title":"坊っちゃん"}`, append([]string{e.URL + "/books/_doc/2", "-d", "@-", "-X", "PUT"}, r...)...)
	if code != 0 || !strings.Contains(out, `"created"`) {
		t.Fatalf("PUT @-: %d %q", code, out)
	}

	code, out, _ = tool(t, testSecret, "", append(r, e.URL+"/_cat/indices?v")...)
	if code != 0 || !strings.Contains(out, "health status index") || !strings.Contains(out, "books") {
		t.Fatalf("_cat/indices?v: %d %q", code, out)
	}

	// An HTTP error status exits 22, with the body on stdout.
	code, out, _ = tool(t, testSecret, "", append(r, e.URL+"/books/_doc/missing")...)
	if code != exitHTTPError || !strings.Contains(out, `"found":false`) {
		t.Errorf("404: %d %q", code, out)
	}
	if e.Verifier.Rejected() != 0 {
		t.Errorf("%d requests rejected", e.Verifier.Rejected())
	}
}

func TestBadSecret(t *testing.T) {
	e := start(t)
	code, out, errs := tool(t, "not-the-secret", "", "--region", testRegion, e.URL+"/_cat/indices")
	if code != exitHTTPError {
		t.Errorf("exit %d, want %d", code, exitHTTPError)
	}
	if !strings.Contains(out, "signature we calculated does not match") {
		t.Errorf("stdout %q", out)
	}
	for _, want := range []string{"403 (signature mismatch)", "- AWS expected, + this request signed", "fix: AWS computed the same canonical request, so the key is wrong"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestVerbose(t *testing.T) {
	e := start(t)
	code, _, errs := tool(t, testSecret, "", "-v", "--region", testRegion, e.URL+"/_cat/indices?v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"* credentials: EnvConfigCredentials (access key ****************0001, does not expire)",
		"* scope: " + "", "/ap-northeast-1/es/aws4_request",
		"* canonical request:\n*   GET\n*   /_cat/indices\n*   v=\n",
		"*   x-amz-security-token:<redacted>", "* string to sign:\n*   AWS4-HMAC-SHA256",
		"< HTTP/1.1 200 OK", "< Content-Type: text/plain",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestWhoami(t *testing.T) {
	e := start(t)
	code, out, errs := tool(t, testSecret, "", "whoami", "--region", testRegion, e.URL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := "user:          " + testRoleARN + "\n" +
		"backend roles: " + testRoleARN + "\n" +
		"roles:         (none)\n\n" +
		"This IAM principal is mapped to no OpenSearch role. Choose a role that allows what it needs, and map it as the master user:\n\n" +
		"sigv4 whoami --map ROLE " + e.URL + "\n"
	if out != want {
		t.Errorf("whoami:\n%s\nwant:\n%s", out, want)
	}
	// With --map ROLE: a runnable command that adds to the mapping.
	code, out, errs = tool(t, testSecret, "", "whoami", "--map", "readall", "--region", testRegion, e.URL)
	wantCmd := `sigv4 -X PATCH --json '[{"op":"add","path":"/backend_roles/-","value":"` + testRoleARN + `"}]' ` + e.URL + "/_plugins/_security/api/rolesmapping/readall\n"
	if code != 0 || !strings.HasSuffix(out, wantCmd) || strings.Contains(out, "all_access") {
		t.Errorf("whoami --map: exit %d\n%s\nwant it to end with:\n%s", code, out+errs, wantCmd)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"-H", "no colon", "http://127.0.0.1:1/"}, {"a", "b"}, {"-nosuchflag"}, {"--nosuch"}, {"-X"}, {"-m", "soon", "http://127.0.0.1:1/"}} {
		code, _, errs := tool(t, testSecret, "", args...)
		if code != exitUsage || !strings.HasPrefix(errs, "sigv4: ") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %d and one sigv4: line", args, code, errs, exitUsage)
		}
	}
	for _, args := range [][]string{{"ftp://x"}, {"search-x.eu-west-1.es.amazonaws.com/_cat/indices"}} {
		if code, _, _ := tool(t, testSecret, "", args...); code != exitURL {
			t.Errorf("%q: exit %d, want %d", args, code, exitURL)
		}
	}
}

// TestEchoedTokenNeverShown: a server that echoes the session token in an
// error body (raw and JSON-escaped) and in a response header gets it
// redacted on every output path: the body, -v's response headers, and
// whoami's error.
func TestEchoedTokenNeverShown(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Amz-Security-Token")
		w.Header().Set("X-Echo", tok)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"bad token `+tok+` or `+strings.ReplaceAll(tok, "/", `\/`)+`"}`)
	}))
	defer echo.Close()
	toolToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD/demo"
	defer func() { toolToken = testToken }()
	for _, args := range [][]string{{"--region", "us-east-1", "-v", echo.URL + "/_search"}, {"--region", "us-east-1", "whoami", echo.URL}} {
		code, stdout, stderr := tool(t, testSecret, "", args...)
		if code == 0 || !strings.Contains(stdout+stderr, "<redacted>") {
			t.Errorf("%v: exit %d, want a failure with the token redacted:\n%s\n%s", args, code, stdout, stderr)
		}
	}
}
