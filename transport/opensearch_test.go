package transport_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearch "github.com/opensearch-project/opensearch-go/v2"
	osapi2 "github.com/opensearch-project/opensearch-go/v2/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v2/opensearchutil"
	opensearchv4 "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// Document ids that are hard to sign: Japanese, '*', ':', '+', spaces and
// an escaped '/'. opensearch-go v2 puts ids in the path as given, so they
// are path-escaped first, as a caller must.
var hardIDs = []string{"東京タワー", "a*b", "c:d", "e+f", "g h", "i/j", "ドキュメント 1+2:3*"}

func docBody(id string) string {
	b, _ := json.Marshal(map[string]string{"title": "文書 " + id, "text": "日本語のテキスト with *, :, + and spaces"})
	return string(b)
}

func mustOK(t *testing.T, what string, res interface {
	String() string
}, err error, status int) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if status >= 300 {
		t.Fatalf("%s: %s", what, res.String())
	}
}

// TestOpenSearchGoV2 drives opensearch-go v2 through the transport against
// the verifying endpoint; every request must be accepted.
func TestOpenSearchGoV2(t *testing.T) {
	rg := newRig(t, "es")
	var compressed atomic.Int32
	client, err := opensearch.NewClient(opensearch.Config{
		Addresses: []string{rg.srv.URL},
		Transport: rg.transport(goodCreds, "es"),
	})
	if err != nil {
		t.Fatal(err)
	}

	res, err := client.Info()
	mustOK(t, "Info", res, err, res.StatusCode)
	res.Body.Close()

	res, err = client.Indices.Create("docs")
	mustOK(t, "create index", res, err, res.StatusCode)
	res.Body.Close()

	res, err = client.Indices.Exists([]string{"docs"})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("HEAD index: %v %v", res, err)
	}
	res.Body.Close()

	for _, id := range hardIDs {
		res, err := client.Index("docs", strings.NewReader(docBody(id)), client.Index.WithDocumentID(url.PathEscape(id)))
		mustOK(t, "index "+id, res, err, res.StatusCode)
		res.Body.Close()

		res, err = client.Get("docs", url.PathEscape(id))
		mustOK(t, "get "+id, res, err, res.StatusCode)
		var got struct {
			ID     string          `json:"_id"`
			Source json.RawMessage `json:"_source"`
		}
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if got.ID != id || string(got.Source) != docBody(id) {
			t.Errorf("get %q: id %q, source %s", id, got.ID, got.Source)
		}

		res, err = client.Exists("docs", url.PathEscape(id))
		if err != nil || res.StatusCode != 200 {
			t.Errorf("HEAD doc %q: %v %v", id, res, err)
		}
		res.Body.Close()
	}

	res, err = client.Search(client.Search.WithIndex("docs"), client.Search.WithBody(strings.NewReader(`{"query":{"match":{"title":"東京タワー"}}}`)))
	mustOK(t, "search with body", res, err, res.StatusCode)
	if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), `"value":1`) {
		t.Errorf("search with body: %s", b)
	}
	res.Body.Close()

	res, err = client.Search(client.Search.WithIndex("docs"), client.Search.WithQuery("title:文書 AND title:e+f"))
	mustOK(t, "search with q=", res, err, res.StatusCode)
	if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), `"value":1`) {
		t.Errorf("search with q=: %s", b)
	}
	res.Body.Close()

	res, err = client.Cat.Indices(client.Cat.Indices.WithV(true))
	mustOK(t, "_cat/indices?v", res, err, res.StatusCode)
	if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), "docs") {
		t.Errorf("_cat/indices: %s", b)
	}
	res.Body.Close()

	// Compressed bodies: the hash covers the gzip bytes that are sent.
	gz, err := opensearch.NewClient(opensearch.Config{
		Addresses:           []string{rg.srv.URL},
		Transport:           countingTransport{rg.transport(goodCreds, "es"), &compressed},
		CompressRequestBody: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err = gz.Index("docs", strings.NewReader(docBody("gzip")), gz.Index.WithDocumentID("gzipped"))
	mustOK(t, "compressed index", res, err, res.StatusCode)
	res.Body.Close()
	if src, ok := rg.store.Doc("docs", "gzipped"); !ok || string(src) != docBody("gzip") {
		t.Errorf("compressed document stored as %s", src)
	}
	if compressed.Load() == 0 {
		t.Error("no request carried Content-Encoding: gzip")
	}

	for _, s := range rg.requests() {
		if s.status == 403 || s.status == 400 {
			t.Errorf("%s %s rejected: %s", s.method, s.target, s.message)
		}
	}
	if rg.verifier.Rejected() != 0 || rg.verifier.Accepted() < 25 {
		t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
	}
}

// countingTransport counts gzip-encoded requests on their way in.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Content-Encoding") == "gzip" {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// TestOpenSearchGoRetriesAreResigned: opensearch-go retries 502, 503 and
// 504; each retry carries the same bytes and a new signature.
func TestOpenSearchGoRetriesAreResigned(t *testing.T) {
	rg := newRig(t, "es")
	client, err := opensearch.NewClient(opensearch.Config{
		Addresses: []string{rg.srv.URL},
		Transport: rg.transport(goodCreds, "es", func(o *transport.Options) { o.Clock = steppingClock() }),
	})
	if err != nil {
		t.Fatal(err)
	}
	rg.fail["/retry/_doc/1"] = []int{502, 503, 504}
	res, err := client.Index("retry", strings.NewReader(docBody("retry")), client.Index.WithDocumentID("1"))
	mustOK(t, "index with retries", res, err, res.StatusCode)
	res.Body.Close()

	var attempts []seen
	for _, s := range rg.requests() {
		if s.target == "/retry/_doc/1" {
			attempts = append(attempts, s)
		}
	}
	if len(attempts) != 4 {
		t.Fatalf("%d attempts, want 4 (502, 503, 504, then success)", len(attempts))
	}
	for i, a := range attempts {
		if a.bodySHA != attempts[0].bodySHA {
			t.Errorf("attempt %d sent different bytes", i)
		}
		if i > 0 && a.authz == attempts[i-1].authz {
			t.Errorf("attempt %d reused the previous signature", i)
		}
	}
	if rg.verifier.Rejected() != 0 {
		t.Errorf("%d requests rejected", rg.verifier.Rejected())
	}
}

// TestOpenSearchGoBulkIndexer runs opensearchutil.BulkIndexer with several
// workers through the transport.
func TestOpenSearchGoBulkIndexer(t *testing.T) {
	rg := newRig(t, "es")
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Transport: rg.transport(goodCreds, "es")})
	if err != nil {
		t.Fatal(err)
	}
	bi, err := opensearchutil.NewBulkIndexer(opensearchutil.BulkIndexerConfig{
		Client: client, Index: "bulk", NumWorkers: 4, FlushBytes: 2048,
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := 0; i < n; i++ {
		err := bi.Add(context.Background(), opensearchutil.BulkIndexerItem{
			Action: "index", DocumentID: fmt.Sprintf("doc-%d", i), Body: strings.NewReader(docBody(fmt.Sprint(i))),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := bi.Stats()
	if st.NumFailed != 0 || st.NumIndexed != n || rg.store.Count("bulk") != n {
		t.Errorf("stats %+v, stored %d", st, rg.store.Count("bulk"))
	}
	if st.NumRequests < 5 || rg.verifier.Rejected() != 0 {
		t.Errorf("%d bulk requests, %d rejected", st.NumRequests, rg.verifier.Rejected())
	}
}

// TestRejectedForTheRightReason: a wrong secret and a missing token are
// each rejected, for their reason, and not retried (the Static provider
// cannot be refreshed). A skewed clock is in heal_test.go: it is healed.
func TestRejectedForTheRightReason(t *testing.T) {
	wrongSecret := goodCreds
	wrongSecret.SecretAccessKey = "not-the-secret"
	noToken := goodCreds
	noToken.SessionToken = ""
	cases := []struct {
		name     string
		creds    aws.Credentials
		fns      []func(*transport.Options)
		says     []string
		rejected int64
	}{
		{"wrong secret", wrongSecret, nil, []string{"The request signature we calculated does not match", "The Canonical String for this request should have been"}, 3},
		// The first invalid-token 403 drops the credentials; the static
		// source hands back the same ones, so there is nothing to retry
		// with, then or for later 403s.
		{"missing token", noToken, nil, []string{"The security token included in the request is invalid"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rg := newRig(t, "es")
			client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Transport: rg.transport(c.creds, "es", c.fns...)})
			calls := []func() (*osapi2.Response, error){
				func() (*osapi2.Response, error) { return client.Info() },
				func() (*osapi2.Response, error) {
					return client.Index("x", strings.NewReader(docBody("1")), client.Index.WithDocumentID("1"))
				},
				func() (*osapi2.Response, error) { return client.Cat.Indices(client.Cat.Indices.WithV(true)) },
			}
			for _, call := range calls {
				res, err := call()
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 403 {
					t.Errorf("status %d, want 403", res.StatusCode)
				}
			}
			for _, s := range rg.requests() {
				if !hasAll(s.message, c.says...) {
					t.Errorf("%s %s: %d %q, want it to say %q", s.method, s.target, s.status, s.message, c.says)
				}
			}
			if rg.verifier.Accepted() != 0 || rg.verifier.Rejected() != c.rejected {
				t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
			}
		})
	}
}

// TestOpenSearchGoV4 shows the transport with opensearch-go v4, to which
// users are migrating.
func TestOpenSearchGoV4(t *testing.T) {
	rg := newRig(t, "es")
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearchv4.Config{
		Addresses: []string{rg.srv.URL},
		Transport: rg.transport(goodCreds, "es"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.Info(ctx, nil); err != nil {
		t.Fatalf("Info: %v", err)
	}
	if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: "v4"}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := client.Index(ctx, opensearchapi.IndexReq{Index: "v4", DocumentID: "東京 1+1", Body: strings.NewReader(docBody("v4"))}); err != nil {
		t.Fatalf("index: %v", err)
	}
	resp, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{"v4"}, Body: strings.NewReader(`{"query":{"match":{"title":"v4"}}}`)})
	if err != nil || resp.Hits.Total.Value != 1 {
		t.Fatalf("search: %v, %+v", err, resp)
	}
	if _, ok := rg.store.Doc("v4", "東京 1+1"); !ok || rg.verifier.Rejected() != 0 {
		t.Errorf("stored %v, rejected %d", ok, rg.verifier.Rejected())
	}
}

// TestOpenSearchGoSignerAdapter: Transport as opensearch.Config.Signer, the
// drop-in for opensearch-go's signer/awsv2, retries included.
func TestOpenSearchGoSignerAdapter(t *testing.T) {
	rg := newRig(t, "es")
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) { o.Clock = steppingClock() })
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Signer: tr})
	if err != nil {
		t.Fatal(err)
	}
	rg.fail["/adapter/_doc/1"] = []int{503}
	res, err := client.Index("adapter", strings.NewReader(docBody("a")), client.Index.WithDocumentID("1"))
	mustOK(t, "index through the Signer adapter", res, err, res.StatusCode)
	res.Body.Close()
	res, err = client.Search(client.Search.WithQuery("title:文書"))
	mustOK(t, "search through the Signer adapter", res, err, res.StatusCode)
	res.Body.Close()
	if rg.verifier.Rejected() != 0 || rg.verifier.Accepted() != 3 {
		t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
	}
}

// TestDotIDsStayDocumentIDs: opensearch-go writes document ids into the
// path unescaped. Ids ".", ".." and "../../_all" must reach OpenSearch as
// those ids, never as steps up the path: deleting document ".." must not
// delete the index.
func TestDotIDsStayDocumentIDs(t *testing.T) {
	rg := newRig(t, "es")
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Transport: rg.transport(goodCreds, "es")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := client.Indices.Create("logs")
	mustOK(t, "create logs", res, err, res.StatusCode)
	res.Body.Close()
	for _, id := range []string{".", "..", "../../_all"} {
		res, err := client.Index("logs", strings.NewReader(`{"t":"x"}`), client.Index.WithDocumentID(id), client.Index.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = client.Delete("logs", id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = client.Indices.Exists([]string{"logs"})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("after deleting document %q, index logs answers %d: the delete went elsewhere", id, res.StatusCode)
		}
	}
	var targets []string
	for _, s := range rg.requests() {
		if s.method == "DELETE" {
			targets = append(targets, s.target)
		}
		if s.status == 403 {
			t.Errorf("%s %s refused: %s", s.method, s.target, s.message)
		}
	}
	want := []string{"/logs/_doc/%2E", "/logs/_doc/%2E%2E", "/logs/_doc/%2E%2E/%2E%2E/_all"}
	if strings.Join(targets, " ") != strings.Join(want, " ") {
		t.Errorf("DELETE requests sent %q, want %q", targets, want)
	}
}
