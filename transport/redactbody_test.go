package transport_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestEchoedTokenRedactedWhole: a session token that the upstream echoes
// is redacted in the body of every response that is not a success (400,
// 403, 500), in a gzip body (handed on decompressed) and in any response's
// headers; the body arrives whole, with no stale Content-Length. Before the
// fix only plain 403/401 bodies were redacted, and they kept the upstream's
// Content-Length, so a client read a cut body (unexpected EOF) exactly when
// it needed AWS's explanation.
func TestEchoedTokenRedactedWhole(t *testing.T) {
	token := goodCreds.SessionToken
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		echoed := r.Header.Get("X-Amz-Security-Token")
		body := []byte(`{"message":"The request signature we calculated does not match. x-amz-security-token:` + echoed + ` and ` +
			strings.ReplaceAll(echoed, "/", `\/`) + ` end"}`)
		w.Header().Set("X-Amzn-Echo", "token="+echoed)
		if r.URL.Query().Get("gzip") != "" {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(body)
			zw.Close()
			body = b.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	}))
	defer srv.Close()
	// Compression is asked for by the caller, so Go's transport hands the
	// gzip body back as it came.
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service = "us-east-1", "es"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, token)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"status=403", "status=401", "status=400", "status=500", "status=403&gzip=1", "status=500&gzip=1", "status=200"} {
		req, _ := http.NewRequest("GET", srv.URL+"/_search?"+q, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Errorf("%s: reading the body: %v", q, err)
		}
		if strings.Contains(res.Header.Get("X-Amzn-Echo"), token) || res.Header.Get("X-Amzn-Echo") != "token=<redacted>" {
			t.Errorf("%s: header %q", q, res.Header.Get("X-Amzn-Echo"))
		}
		if res.StatusCode == 200 {
			continue // a success's body is the data asked for, as it came
		}
		if strings.Contains(string(b), token) || strings.Contains(string(b), strings.ReplaceAll(token, "/", `\/`)) ||
			!strings.HasSuffix(string(b), `<redacted> and <redacted> end"}`) {
			t.Errorf("%s: body %q", q, b)
		}
		if res.ContentLength != -1 || res.Header.Get("Content-Length") != "" || res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: ContentLength %d, Content-Length %q, Content-Encoding %q after redaction", q, res.ContentLength,
				res.Header.Get("Content-Length"), res.Header.Get("Content-Encoding"))
		}
	}
}
