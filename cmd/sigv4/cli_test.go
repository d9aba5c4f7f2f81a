package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// runIn runs the command in this process (so that coverage counts it),
// with the test keys in the environment unless keys is false, and returns
// its exit code and outputs. No output may show a secret or a signature.
func runIn(t *testing.T, keys bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("AWS_PROFILE", "") // --profile sets it; restored after the test
	if keys {
		t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
		t.Setenv("AWS_SESSION_TOKEN", testToken)
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	for _, s := range []string{testSecret, testToken} {
		if strings.Contains(out.String()+errb.String(), s) {
			t.Errorf("output shows a secret (%s)", s)
		}
	}
	if signatureRe.MatchString(out.String() + errb.String()) {
		t.Errorf("output shows a signature")
	}
	return code, out.String(), errb.String()
}

// TestHelpOnStandardOutput: every way of asking for help prints it on
// standard output and exits 0.
func TestHelpOnStandardOutput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "usage: sigv4 [options] URL"},
		{[]string{"--help"}, "usage: sigv4 [options] URL"},
		{[]string{"-h"}, "usage: sigv4 [options] URL"},
		{[]string{"help", "whoami"}, "usage: sigv4 whoami [--map ROLE] [options] URL"},
		{[]string{"whoami", "--help"}, "usage: sigv4 whoami [--map ROLE] [options] URL"},
		{[]string{"whoami", "-h", "https://example.com"}, "usage: sigv4 whoami [--map ROLE] [options] URL"},
		{[]string{"help", "proxy"}, "usage: sigv4 proxy [flags] UPSTREAM_URL"},
		{[]string{"proxy", "--help"}, "usage: sigv4 proxy [flags] UPSTREAM_URL"},
		{[]string{"proxy", "-h"}, "usage: sigv4 proxy [flags] UPSTREAM_URL"},
		{[]string{"proxy", "--listen", "127.0.0.1:0", "-help"}, "usage: sigv4 proxy [flags] UPSTREAM_URL"},
	} {
		code, stdout, stderr := runIn(t, false, c.args...)
		if code != exitOK || !strings.HasPrefix(stdout, c.want) || stderr != "" {
			t.Errorf("sigv4 %s: exit %d, stdout %.60q, stderr %q; want exit 0 and stdout starting %q", strings.Join(c.args, " "), code, stdout, stderr, c.want)
		}
	}
	if code, _, stderr := runIn(t, false, "help", "nosuch"); code != exitUsage || !strings.Contains(stderr, "sigv4 help proxy") {
		t.Errorf("sigv4 help nosuch: exit %d, stderr %q", code, stderr)
	}
	// The help documents the credentials exit code.
	if _, stdout, _ := runIn(t, false, "help"); !strings.Contains(stdout, "120: no usable AWS credentials") {
		t.Errorf("the help does not document exit 120:\n%s", stdout)
	}
}

// target is a server that must never be reached: a credentials failure
// sends nothing.
func target(t *testing.T) string {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(func() {
		srv.Close()
		if n := hits.Load(); n != 0 {
			t.Errorf("the target got %d requests, want none", n)
		}
	})
	return srv.URL + "/_cat/indices"
}

// closedURL is a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// containerEndpointAnswering serves credentials that expire at expires, as
// the ECS agent does.
func containerEndpointAnswering(t *testing.T, expires time.Time) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"AccessKeyId":"ASIACONTAINER0000001","SecretAccessKey":"container-secret","Token":"container-token","Expiration":%q}`,
			expires.UTC().Format(time.RFC3339))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/creds"
}

// TestCredentialSourceFailuresNameTheSource: when no credentials can be
// had, the message names the source that failed and what to check, never
// the target URL as what failed, and the exit code is 120.
func TestCredentialSourceFailuresNameTheSource(t *testing.T) {
	down := closedURL(t)
	cases := []struct {
		name    string
		env     [][2]string
		args    []string
		want    []string
		notWant []string
	}{
		{
			name: "container endpoint down",
			env:  [][2]string{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", down + "/v2/credentials?id=secret-query"}},
			want: []string{"could not get AWS credentials, so nothing was sent", "the container credentials endpoint " + down + "/v2/credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI) did not answer", "connection refused", "ECS agent"},
		},
		{
			name: "container endpoint answers expired credentials",
			env:  [][2]string{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", containerEndpointAnswering(t, time.Now().Add(-time.Hour))}},
			want: []string{"the AWS credentials found are expired", "the container credentials endpoint", "expired at"},
		},
		{
			name: "container endpoint answers 500",
			env: [][2]string{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", func() string {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "{}", 500) }))
				t.Cleanup(srv.Close)
				return srv.URL + "/creds"
			}()}},
			want: []string{"the container credentials endpoint", "answered HTTP 500"},
		},
		{
			name: "instance metadata down",
			env:  [][2]string{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", down}},
			want: []string{"no AWS credentials found", "the EC2 instance metadata service " + down + " (AWS_EC2_METADATA_SERVICE_ENDPOINT) did not answer", "AWS_EC2_METADATA_DISABLED=true"},
		},
		{
			name: "instance metadata disabled",
			env:  [][2]string{{"AWS_EC2_METADATA_DISABLED", "true"}},
			want: []string{"no AWS credentials found", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED=true"},
		},
		{
			name: "no such profile",
			args: []string{"--profile", "nosuch"},
			want: []string{"the profile \"nosuch\" (--profile or AWS_PROFILE) is in neither", "no-config"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, kv := range c.env {
				t.Setenv(kv[0], kv[1])
			}
			url := target(t)
			code, stdout, stderr := runIn(t, false, append(append([]string{"--region", testRegion}, c.args...), url)...)
			if code != exitCredentials {
				t.Errorf("exit %d, want %d", code, exitCredentials)
			}
			if stdout != "" || !strings.HasPrefix(stderr, "sigv4: ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stdout %q, stderr %q: want one sigv4: line on stderr", stdout, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, bad := range []string{url, "failed to connect", "is the endpoint up", "secret-query", "container-secret", "container-token"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("stderr holds %q:\n%s", bad, stderr)
				}
			}
		})
	}
	// The same through whoami.
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", down+"/creds")
	if code, _, stderr := runIn(t, false, "whoami", "--region", testRegion, strings.TrimSuffix(target(t), "/_cat/indices")); code != exitCredentials || !strings.Contains(stderr, "container credentials endpoint") {
		t.Errorf("whoami: exit %d, stderr %q", code, stderr)
	}
}

// TestOutputFileReplacedOnlyOnSuccess: -o FILE is written to a temporary
// file and renamed into place when the transfer succeeds; with -f an HTTP
// error leaves FILE untouched, as does a transfer that breaks off.
func TestOutputFileReplacedOnlyOnSuccess(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/broken", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte(`{"partial":`))
	})
	srv, _ := verifying(t, false, mux)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	const before = "the earlier result\n"
	reset := func() {
		if err := os.WriteFile(out, []byte(before), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	unchanged := func(what string) {
		t.Helper()
		if b, _ := os.ReadFile(out); string(b) != before {
			t.Errorf("%s: FILE holds %q, want it untouched", what, b)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".out.json.sigv4-*")); len(left) != 0 {
			t.Errorf("%s: temporary files left: %v", what, left)
		}
	}
	r := []string{"--region", testRegion}

	reset()
	code, _, stderr := runIn(t, true, append(r, "-f", "-o", out, srv.URL+"/books/_doc/missing")...)
	if code != exitHTTPError || !strings.Contains(stderr, "404") {
		t.Errorf("-f -o on a 404: exit %d, stderr %q", code, stderr)
	}
	unchanged("-f -o on a 404")

	reset()
	if code, _, _ = runIn(t, true, append(r, "-o", out, srv.URL+"/broken")...); code == exitOK {
		t.Errorf("a transfer that broke off: exit 0")
	}
	unchanged("a transfer that broke off")

	// Without -f an HTTP error's body is written, as curl --fail-with-body.
	reset()
	if code, _, _ = runIn(t, true, append(r, "-o", out, srv.URL+"/books/_doc/missing")...); code != exitHTTPError {
		t.Errorf("-o on a 404: exit %d", code)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), `"status":404`) {
		t.Errorf("-o on a 404: FILE holds %q", b)
	}

	reset()
	if code, _, stderr = runIn(t, true, append(r, "-o", out, srv.URL+"/")...); code != exitOK {
		t.Fatalf("-o: exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	fi, _ := os.Stat(out)
	if !strings.Contains(string(b), `"distribution":"opensearch"`) || fi.Mode().Perm() != 0o640 {
		t.Errorf("-o: FILE holds %q with mode %v; want the body, and the file's mode kept", b, fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.json.sigv4-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A link is followed: its target is replaced, the link kept.
	link := filepath.Join(dir, "link.json")
	os.Symlink(out, link)
	reset()
	if code, _, _ = runIn(t, true, append(r, "-o", link, srv.URL+"/")...); code != exitOK {
		t.Errorf("-o LINK: exit %d", code)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-o LINK replaced the link: %v", err)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), `"distribution"`) {
		t.Errorf("-o LINK: the target holds %q", b)
	}
	// Not a regular file: written in place.
	if code, _, _ = runIn(t, true, append(r, "-o", os.DevNull, srv.URL+"/")...); code != exitOK {
		t.Errorf("-o %s: exit %d", os.DevNull, code)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Errorf("%s is now a regular file", os.DevNull)
	}
	// A folder that cannot be written: exit 23, FILE named.
	if code, _, stderr = runIn(t, true, append(r, "-o", filepath.Join(dir, "nosuch", "out.json"), srv.URL+"/")...); code != exitWrite || !strings.Contains(stderr, "cannot write the output to") {
		t.Errorf("-o in a missing folder: exit %d, stderr %q", code, stderr)
	}
}
