package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
)

// verifying returns a verifying endpoint for the demo keys in front of
// mux (or a stand-in), over TLS when tls is set.
func verifying(t *testing.T, tls bool, mux *http.ServeMux) (*httptest.Server, *sigv4test.Handler) {
	t.Helper()
	store := standin.New()
	store.SetPrincipal(testRoleARN)
	var next http.Handler = store
	if mux != nil {
		mux.Handle("/", store)
		next = mux
	}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{testCredentials()}
		o.Region, o.Service, o.Handler = testRegion, testService, next
	})
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(v)
	} else {
		srv = httptest.NewServer(v)
	}
	t.Cleanup(srv.Close)
	return srv, v
}

// TestCurlFlagsAsPeopleTypeThem: the flags a curl user reaches for, alone
// and combined, with curl's meaning.
func TestCurlFlagsAsPeopleTypeThem(t *testing.T) {
	e := start(t)
	r := []string{"--region", testRegion}
	dir := t.TempDir()

	// -sS -f -o: an HTTP error writes no body, exits 22, says why on one line.
	out := filepath.Join(dir, "out.json")
	code, stdout, errs := tool(t, testSecret, "", append(r, "-sS", "-f", "-o", out, e.URL+"/books/_doc/missing")...)
	if b, _ := os.ReadFile(out); code != exitHTTPError || len(b) != 0 || stdout != "" || !strings.HasPrefix(errs, "sigv4: GET ") || strings.Count(errs, "\n") != 1 {
		t.Errorf("-sS -f -o: exit %d, file %q, stdout %q, stderr %q", code, b, stdout, errs)
	}
	// -s alone: silent.
	if code, _, errs := tool(t, testSecret, "", append(r, "-s", "-f", e.URL+"/books/_doc/missing")...); code != exitHTTPError || errs != "" {
		t.Errorf("-s -f: exit %d, stderr %q", code, errs)
	}
	// --fail-with-body (the default): the body, and exit 22.
	if code, stdout, _ := tool(t, testSecret, "", append(r, "--fail-with-body", e.URL+"/books/_doc/missing")...); code != exitHTTPError || !strings.Contains(stdout, `"no such index [books]"`) {
		t.Errorf("--fail-with-body: exit %d, stdout %q", code, stdout)
	}

	// -XPOST --json @doc.json: JSON headers, the file's bytes.
	doc := filepath.Join(dir, "doc.json")
	os.WriteFile(doc, []byte(`{"title":"羅生門"}`), 0o600)
	code, stdout, errs = tool(t, testSecret, "", append(r, "-v", "-XPOST", "--json", "@"+doc, e.URL+"/books/_doc/3")...)
	if code != 0 || !strings.Contains(stdout, `"created"`) || !strings.Contains(errs, "> Content-Type: application/json") || !strings.Contains(errs, "> Accept: application/json") {
		t.Errorf("-XPOST --json @file: exit %d, stdout %q\n%s", code, stdout, errs)
	}
	if got, _ := e.Store.Doc("books", "3"); string(got) != `{"title":"羅生門"}` {
		t.Errorf("stored %q", got)
	}
	// --data-raw keeps '@'; repeated -d are joined with '&'.
	if code, _, _ := tool(t, testSecret, "", append(r, "-X", "PUT", "--data-raw", `{"a":"@b"}`, e.URL+"/books/_doc/4")...); code != 0 {
		t.Errorf("--data-raw: exit %d", code)
	}
	if got, _ := e.Store.Doc("books", "4"); string(got) != `{"a":"@b"}` {
		t.Errorf("--data-raw stored %q", got)
	}

	// -i writes the status line and headers first; -I sends HEAD.
	code, stdout, _ = tool(t, testSecret, "", append(r, "-i", e.URL+"/")...)
	if code != 0 || !strings.HasPrefix(stdout, "HTTP/1.1 200 OK\r\n") || !strings.Contains(stdout, "\r\n\r\n{") {
		t.Errorf("-i: exit %d, %q", code, stdout)
	}
	code, stdout, _ = tool(t, testSecret, "", append(r, "-I", e.URL+"/books")...)
	if code != 0 || !strings.HasPrefix(stdout, "HTTP/1.1 200 OK\r\n") || strings.Contains(stdout, "{") {
		t.Errorf("-I: exit %d, %q", code, stdout)
	}

	// -w with -o -: the variables after the body.
	code, stdout, _ = tool(t, testSecret, "", append(r, "-o-", "-w", `\n%{http_code} %{size_download} %{time_total}\n`, e.URL+"/_cat/indices")...)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if last := strings.Fields(lines[len(lines)-1]); code != 0 || len(last) != 3 || last[0] != "200" || last[1] == "0" {
		t.Errorf("-w: exit %d, %q", code, stdout)
	}

	// -- ends the flags; -V prints the version; -u is refused with why.
	if code, stdout, _ := tool(t, testSecret, "", append(r, "--", e.URL+"/")...); code != 0 || !strings.Contains(stdout, "opensearch") {
		t.Errorf("--: exit %d", code)
	}
	if code, stdout, _ := tool(t, testSecret, "", "-V"); code != 0 || !strings.HasPrefix(stdout, "sigv4 ") {
		t.Errorf("-V: exit %d, %q", code, stdout)
	}
	if code, _, errs := tool(t, testSecret, "", "-u", "admin:pw", e.URL+"/"); code != exitUsage || !strings.Contains(errs, "SigV4 replaces") || strings.Contains(errs, "admin:pw") {
		t.Errorf("-u: exit %d, %q", code, errs)
	}
	if e.Verifier.Rejected() != 0 {
		t.Errorf("%d requests rejected", e.Verifier.Rejected())
	}
}

// TestTunnelAndInsecure: a VPC domain through an SSH tunnel: the URL names
// localhost, -H 'Host: …' or --signing-host names the domain, which is
// signed and sent; -k accepts the tunnel's certificate, and without it the
// exit is 60.
func TestTunnelAndInsecure(t *testing.T) {
	srv, v := verifying(t, true, nil)
	domain := "vpc-logs-abc." + testRegion + ".es.amazonaws.com"
	for _, args := range [][]string{
		{"-k", "-H", "Host: " + domain, srv.URL + "/"},
		{"-k", "-HHost:" + domain, srv.URL + "/"},
		{"-k", "--signing-host", domain, srv.URL + "/"},
	} {
		code, stdout, errs := tool(t, testSecret, "", args...)
		if code != 0 || !strings.Contains(stdout, "opensearch") {
			t.Errorf("%q: exit %d\n%s%s", args, code, stdout, errs)
		}
	}
	if v.Accepted() != 3 {
		t.Errorf("accepted %d of 3", v.Accepted())
	}
	if code, _, errs := tool(t, testSecret, "", "--signing-host", domain, srv.URL+"/"); code != exitCert || !strings.HasPrefix(errs, "sigv4: ") {
		t.Errorf("without -k: exit %d, %q; want %d", code, errs, exitCert)
	}
}

// TestRedirects: -L follows a same-host redirect, re-signing it; without
// -L the redirect is written as it came; a redirect to another host is
// refused, with how to allow it, and followed once it is named.
func TestRedirects(t *testing.T) {
	other, otherV := verifying(t, false, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/_cat/indices", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/", http.StatusFound) })
	srv, v := verifying(t, false, mux)
	r := []string{"--region", testRegion}

	code, stdout, errs := tool(t, testSecret, "", append(r, "-i", "-L", "-v", srv.URL+"/old")...)
	if code != 0 || !strings.HasPrefix(stdout, "HTTP/1.1 200 OK") || !strings.Contains(errs, "* following the redirect to "+srv.URL+"/_cat/indices") ||
		strings.Count(errs, "> GET ") != 2 || v.Accepted() != 2 {
		t.Errorf("-i -L: exit %d, accepted %d\n%s\n%s", code, v.Accepted(), stdout, errs)
	}
	if code, stdout, _ := tool(t, testSecret, "", append(r, "-i", srv.URL+"/old")...); code != 0 || !strings.HasPrefix(stdout, "HTTP/1.1 302 Found") {
		t.Errorf("without -L: exit %d, %q", code, stdout)
	}
	code, _, errs = tool(t, testSecret, "", append(r, "-L", srv.URL+"/away")...)
	if code == 0 || !strings.Contains(errs, "-L --allowed-host 127.0.0.1") || otherV.Accepted()+otherV.Rejected() != 0 {
		t.Errorf("cross-host: exit %d, other hit %d\n%s", code, otherV.Accepted()+otherV.Rejected(), errs)
	}
}

// TestExitCodesLikeCurl: 6 cannot resolve, 7 cannot connect (whoami too),
// 28 timeout, 35 TLS handshake, 23 cannot write, each with one sigv4: line.
func TestExitCodesLikeCurl(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	silent, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	plain := httptest.NewServer(http.NotFoundHandler()) // speaks HTTP, not TLS
	defer plain.Close()
	r := []string{"--region", testRegion}
	for _, c := range []struct {
		args []string
		want int
		says string
	}{
		{append(r, "http://no-such-host.invalid/"), exitResolve, "no-such-host.invalid"},
		{append(r, closedURL), exitConnect, "connect"},
		{append(r, "whoami", closedURL), exitConnect, "connect"},
		{append(r, "-m", "0.5", "http://"+silent.Addr().String()+"/"), exitTimeout, "timed out"},
		{append(r, "https://"+plain.Listener.Addr().String()+"/"), exitTLS, "TLS handshake failed"},
		{append(r, "-o", filepath.Join(t.TempDir(), "no-such-dir", "out"), plain.URL+"/"), exitWrite, "cannot write the output"},
	} {
		start := time.Now()
		code, _, errs := tool(t, testSecret, "", c.args...)
		if code != c.want || !strings.HasPrefix(errs, "sigv4: ") || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.says) {
			t.Errorf("%q: exit %d, %q; want %d saying %q", c.args, code, errs, c.want, c.says)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q took %v", c.args, d)
		}
	}
}

// TestProfileGivesRegionToo: --profile P gives the profile's region as well
// as its credentials, as AWS_PROFILE=P does.
func TestProfileGivesRegionToo(t *testing.T) {
	e := start(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[profile demo]\nregion = "+testRegion+"\n"), 0o600)
	env := []string{"AWS_CONFIG_FILE=" + cfg}
	for _, args := range [][]string{{"--profile", "demo", e.URL + "/"}} {
		code, stdout, errs := toolEnv(t, testSecret, "", env, args...)
		if code != 0 || !strings.Contains(stdout, "opensearch") {
			t.Errorf("%q: exit %d\n%s", args, code, errs)
		}
	}
	code, stdout, errs := toolEnv(t, testSecret, "", append(env, "AWS_PROFILE=demo"), e.URL+"/")
	if code != 0 || !strings.Contains(stdout, "opensearch") {
		t.Errorf("AWS_PROFILE=demo: exit %d\n%s", code, errs)
	}
}

// TestMessagesSpeakTheCommand: errors name the command's flags, and the
// no-credentials error says what to set.
func TestMessagesSpeakTheCommand(t *testing.T) {
	e := start(t)
	code, _, errs := tool(t, testSecret, "", e.URL+"/")
	if code == 0 || !strings.Contains(errs, "--region") || strings.Contains(errs, "Region option") || strings.Count(errs, "\n") != 1 {
		t.Errorf("no region: exit %d, %q", code, errs)
	}
	cmd := []string{"--region", testRegion, e.URL + "/"}
	code, _, errs = toolEnv(t, "", "", []string{"AWS_ACCESS_KEY_ID=", "AWS_SESSION_TOKEN="}, cmd...)
	for _, want := range []string{"sigv4: no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_PROFILE or --profile", "No container endpoint is configured", "EC2 instance metadata is disabled"} {
		if code != exitCredentials || !strings.Contains(errs, want) {
			t.Errorf("no credentials: exit %d, stderr lacks %q: %q", code, want, errs)
		}
	}
}

// TestWhoamiWithoutFineGrainedAccess: a domain without fine-grained access
// control says so; a 200 that is not authinfo is an error.
func TestWhoamiWithoutFineGrainedAccess(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/_plugins/_security/authinfo", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"error":"no handler found for uri [/_plugins/_security/authinfo] and method [GET]"}`))
	})
	srv, _ := verifying(t, false, mux)
	code, stdout, errs := tool(t, testSecret, "", "whoami", "--region", testRegion, srv.URL)
	if code != 0 || !strings.Contains(stdout, "no fine-grained access control") || !strings.Contains(stdout, "IAM policy") {
		t.Errorf("without FGAC: exit %d\n%s%s", code, stdout, errs)
	}
	mux2 := http.NewServeMux()
	mux2.HandleFunc("/_plugins/_security/authinfo", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) })
	srv2, _ := verifying(t, false, mux2)
	code, _, errs = tool(t, testSecret, "", "whoami", "--region", testRegion, srv2.URL)
	if code == 0 || !strings.Contains(errs, "not OpenSearch's authinfo") {
		t.Errorf("a 200 that is not authinfo: exit %d, %q", code, errs)
	}
}
