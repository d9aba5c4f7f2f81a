package proxy_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// A signing proxy inside a server of your own: clients that cannot sign
// (here a plain http.Client) send unsigned requests to it, and it forwards
// them to the domain signed. The domain is a verifying endpoint in front of
// an in-memory stand-in, so that the example runs offline.
func ExampleNew() {
	domain, err := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
		o.Region, o.Handler = "eu-west-1", standin.New()
	})
	if err != nil {
		panic(err)
	}
	defer domain.Close()

	p, err := proxy.New(domain.URL, func(o *proxy.Options) {
		o.Transport = func(to *transport.Options) {
			to.Region = "eu-west-1"
			to.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "")
		}
		o.Logger = slog.New(slog.DiscardHandler) // one line per request otherwise
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(p) // in production: http.ListenAndServe("127.0.0.1:9200", p)
	defer srv.Close()

	for _, req := range []struct{ method, path, body string }{
		{"PUT", "/books/_doc/1", `{"title":"羅生門"}`},
		{"GET", "/books/_doc/1", ""},
		{"GET", "/_sigv4/health", ""},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, strings.NewReader(req.body))
		r.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, strings.Replace(strings.TrimSpace(string(b)), domain.URL, "DOMAIN", 1))
	}
	// Output:
	// 201 {"_id":"1","_index":"books","_primary_term":1,"_seq_no":0,"_shards":{"failed":0,"successful":1,"total":2},"_version":1,"result":"created"}
	// 200 {"_id":"1","_index":"books","_primary_term":1,"_seq_no":0,"_source":{"title":"羅生門"},"_version":1,"found":true}
	// 200 {"status":"ok","upstream":"DOMAIN"}
}
