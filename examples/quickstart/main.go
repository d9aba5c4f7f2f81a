// Command quickstart signs OpenSearch requests with sigv4's transport and
// shows, for each, the credential source, region and service, request line
// and status.
//
//	go run ./examples/quickstart                       # offline: a local verifying endpoint and an in-memory stand-in
//	go run ./examples/quickstart -upstream http://localhost:9200   # the verifying endpoint in front of a real OpenSearch
//	go run ./examples/quickstart -endpoint https://search-mydomain-abc.eu-west-1.es.amazonaws.com
//
// With -endpoint it uses the default credential chain and infers the region
// and service from the host name (set -region and -service otherwise). It
// creates an index named sigv4-quickstart-<random>, and deletes it at the
// end.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	opensearch "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage was printed
		}
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// printer writes one line per request as it goes on the wire, with what
// was signed: it is the base RoundTripper below the signing transport.
type printer struct {
	out  io.Writer
	next http.RoundTripper
	mu   sync.Mutex
	last signer.Trace
}

func (p *printer) trace(t signer.Trace) { p.mu.Lock(); p.last = t; p.mu.Unlock() }

func (p *printer) RoundTrip(r *http.Request) (*http.Response, error) {
	p.mu.Lock()
	t := p.last
	p.mu.Unlock()
	res, err := p.next.RoundTrip(r)
	status := "error: " + fmt.Sprint(err)
	if err == nil {
		status = res.Status
	}
	scope := strings.TrimSuffix(t.CredentialScope[strings.IndexByte(t.CredentialScope, '/')+1:], "/aws4_request")
	fmt.Fprintf(p.out, "   %s %s\n     signed for %s with credentials from %s (key %s) -> %s\n", r.Method, r.URL.RequestURI(), scope, t.Source, t.AccessKeyID, status)
	return res, err
}

// reachable checks that something answers at an upstream URL, so that
// -upstream pointing at nothing says so instead of failing every request.
func reachable(ctx context.Context, upstream string) error {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("-upstream " + upstream + " is not an http(s) URL such as http://localhost:9200")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	c, err := (&net.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", host)
	if err != nil {
		return errors.New("nothing answers at " + upstream + " (" + err.Error() + "): start an OpenSearch there (for example " +
			"docker run -p 9200:9200 -e discovery.type=single-node -e DISABLE_SECURITY_PLUGIN=true opensearchproject/opensearch), " +
			"point -upstream at one, or leave -upstream out to run against the offline stand-in")
	}
	c.Close()
	return nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(out)
	upstream := fs.String("upstream", "", "put the local verifying endpoint in front of this OpenSearch (e.g. http://localhost:9200)")
	endpoint := fs.String("endpoint", "", "an Amazon OpenSearch Service domain or Serverless collection URL")
	region := fs.String("region", "", "with -endpoint: the region, when the host name does not tell")
	service := fs.String("service", "", "with -endpoint: es or aoss, when the host name does not tell")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *upstream != "" && *endpoint != "" {
		return errors.New("give -upstream or -endpoint, not both")
	}

	p := &printer{out: out, next: http.DefaultTransport}
	var creds *credentials.Cache
	var addr string
	var local *demo.Endpoint

	fmt.Fprintln(out, "sigv4 quickstart")
	switch {
	case *endpoint != "":
		fmt.Fprintln(out, "mode: a real domain, with the default credential chain")
		addr = *endpoint
		creds = credentials.NewCache(credentials.NewDefaultChain())
	default:
		if *upstream != "" {
			if err := reachable(ctx, *upstream); err != nil {
				return err
			}
		}
		var err error
		local, err = demo.Start(*upstream)
		if err != nil {
			return err
		}
		defer local.Close()
		if *upstream == "" {
			fmt.Fprintln(out, "mode: offline. The endpoint is a local server that verifies SigV4 the way Amazon OpenSearch")
			fmt.Fprintln(out, "      Service does, in front of an in-memory stand-in for OpenSearch (not OpenSearch itself).")
		} else {
			fmt.Fprintln(out, "mode: local development. The endpoint verifies SigV4 the way Amazon OpenSearch Service does")
			fmt.Fprintln(out, "      and forwards accepted requests to "+*upstream+".")
		}
		addr = local.URL
		*region, *service = demo.Region, demo.Service
		c := demo.Credentials()
		creds = credentials.NewCache(credentials.NewStatic(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))
	}
	fmt.Fprintln(out, "endpoint:", addr)

	endpointURL, err := url.Parse(addr)
	if err != nil {
		return err
	}
	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region, o.Service = addr, *region, *service
		// Sign only for this host: a redirect elsewhere gets no signature
		// and no credentials. (With Endpoint set this is also the default.)
		o.AllowedHosts = []string{endpointURL.Hostname()}
		o.Credentials = creds
		o.Base = p
		o.Trace = p.trace
	})
	if err != nil {
		return err
	}
	client, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{Addresses: []string{addr}, Transport: tr},
	})
	if err != nil {
		return err
	}

	index := "sigv4-quickstart-" + randomSuffix()
	step := 0
	next := func(title string) { step++; fmt.Fprintf(out, "\n%d. %s\n", step, title) }

	next("cluster info")
	info, err := client.Info(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   cluster: %s %s\n", orDefault(info.Version.Distribution, "opensearch"), info.Version.Number)

	next("create index " + index)
	if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index}); err != nil {
		return err
	}
	defer func() {
		next("delete index " + index)
		if _, err := client.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{index}}); err != nil {
			fmt.Fprintln(out, "   could not delete it:", err)
		}
		if local != nil {
			fmt.Fprintf(out, "\nthe endpoint accepted %d signed requests and rejected %d (the wrong secret).\n",
				local.Verifier.Accepted(), local.Verifier.Rejected())
		}
	}()

	next("bulk-index 4 documents (Japanese text among them)")
	docs := []map[string]string{
		{"title": "東京物語", "director": "小津安二郎", "year": "1953"},
		{"title": "七人の侍", "director": "黒澤明", "year": "1954"},
		{"title": "Tokyo Story (English title)", "director": "Yasujirō Ozu", "year": "1953"},
		{"title": "東京オリンピック", "director": "市川崑", "year": "1965"},
	}
	var bulk strings.Builder
	for i, d := range docs {
		meta, _ := json.Marshal(map[string]map[string]string{"index": {"_index": index, "_id": fmt.Sprint(i + 1)}})
		src, _ := json.Marshal(d)
		bulk.Write(meta)
		bulk.WriteByte('\n')
		bulk.Write(src)
		bulk.WriteByte('\n')
	}
	bulkRes, err := client.Bulk(ctx, opensearchapi.BulkReq{Body: strings.NewReader(bulk.String()), Params: opensearchapi.BulkParams{Refresh: "true"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   indexed %d documents, errors: %v\n", len(bulkRes.Items), bulkRes.Errors)

	next(`search for "東京"`)
	found, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{index}, Params: opensearchapi.SearchParams{Query: "title:東京"}})
	if err != nil {
		return err
	}
	for _, h := range found.Hits.Hits {
		var src map[string]string
		json.Unmarshal(h.Source, &src)
		fmt.Fprintf(out, "   hit: %s (%s, %s)\n", src["title"], src["director"], src["year"])
	}

	next("the same search signed with a wrong secret: AWS rejects it")
	real, err := creds.Retrieve(ctx)
	if err != nil {
		return err
	}
	wrong, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region, o.Service = addr, *region, *service
		o.Credentials = credentials.NewStatic(real.AccessKeyID, "not-the-right-secret", real.SessionToken)
		o.Base = p
		o.Trace = p.trace
	})
	if err != nil {
		return err
	}
	u, _ := url.Parse(addr)
	u.Path = "/" + index + "/_search"
	u.RawQuery = url.Values{"q": {"title:東京"}}.Encode()
	res, err := (&http.Client{Transport: wrong}).Get(u.String())
	if err != nil {
		return err
	}
	diag := transport.Diagnose(res)
	res.Body.Close()
	if diag == nil {
		return fmt.Errorf("the wrong secret was not rejected (%s)", res.Status)
	}
	fmt.Fprintln(out, "   diagnosis:")
	for _, l := range strings.Split(diag.Error(), "\n") {
		fmt.Fprintln(out, "   | "+l)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
