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

	"github.com/aws/aws-sdk-go-v2/aws"
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

// flags are the command line's settings.
type flags struct {
	upstream, endpoint, region, service string
}

func parseFlags(args []string, out io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&f.upstream, "upstream", "", "put the local verifying endpoint in front of this OpenSearch (e.g. http://localhost:9200)")
	fs.StringVar(&f.endpoint, "endpoint", "", "an Amazon OpenSearch Service domain or Serverless collection URL")
	fs.StringVar(&f.region, "region", "", "with -endpoint: the region, when the host name does not tell")
	fs.StringVar(&f.service, "service", "", "with -endpoint: es or aoss, when the host name does not tell")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.upstream != "" && f.endpoint != "" {
		return f, errors.New("give -upstream or -endpoint, not both")
	}
	return f, nil
}

// target is where the requests go, and what signs them.
type target struct {
	addr            string
	region, service string // empty: inferred from the host name
	creds           *credentials.Cache
	local           *demo.Endpoint // the local verifying endpoint, or nil
}

// openTarget is the real domain of -endpoint with the default credential
// chain, or a local verifying endpoint (in front of -upstream, else of the
// in-memory stand-in) with the demo's credentials. It says which.
func openTarget(ctx context.Context, f flags, out io.Writer) (*target, error) {
	if f.endpoint != "" {
		fmt.Fprintln(out, "mode: a real domain, with the default credential chain")
		return &target{addr: f.endpoint, region: f.region, service: f.service,
			creds: credentials.NewCache(credentials.NewDefaultChain())}, nil
	}
	if f.upstream != "" {
		if err := reachable(ctx, f.upstream); err != nil {
			return nil, err
		}
	}
	local, err := demo.Start(f.upstream)
	if err != nil {
		return nil, err
	}
	if f.upstream == "" {
		fmt.Fprintln(out, "mode: offline. The endpoint is a local server that verifies SigV4 the way Amazon OpenSearch")
		fmt.Fprintln(out, "      Service does, in front of an in-memory stand-in for OpenSearch (not OpenSearch itself).")
	} else {
		fmt.Fprintln(out, "mode: local development. The endpoint verifies SigV4 the way Amazon OpenSearch Service does")
		fmt.Fprintln(out, "      and forwards accepted requests to "+f.upstream+".")
	}
	c := demo.Credentials()
	return &target{addr: local.URL, region: demo.Region, service: demo.Service, local: local,
		creds: credentials.NewCache(credentials.NewStatic(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))}, nil
}

// Close stops the local endpoint, if there is one.
func (t *target) Close() {
	if t.local != nil {
		t.local.Close()
	}
}

// transport returns a signing transport to the target with creds, which
// prints every request through p.
func (t *target) transport(creds aws.CredentialsProvider, p *printer) (*transport.Transport, error) {
	endpointURL, err := url.Parse(t.addr)
	if err != nil {
		return nil, err
	}
	return transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region, o.Service = t.addr, t.region, t.service
		// Sign only for this host: a redirect elsewhere gets no signature
		// and no credentials. (With Endpoint set this is also the default.)
		o.AllowedHosts = []string{endpointURL.Hostname()}
		o.Credentials = creds
		o.Base = p
		o.Trace = p.trace
	})
}

func run(ctx context.Context, args []string, out io.Writer) error {
	f, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "sigv4 quickstart")
	t, err := openTarget(ctx, f, out)
	if err != nil {
		return err
	}
	defer t.Close()
	fmt.Fprintln(out, "endpoint:", t.addr)

	p := &printer{out: out, next: http.DefaultTransport}
	tr, err := t.transport(t.creds, p)
	if err != nil {
		return err
	}
	client, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{Addresses: []string{t.addr}, Transport: tr},
	})
	if err != nil {
		return err
	}
	w := &walk{out: out, client: client, index: "sigv4-quickstart-" + randomSuffix()}

	w.next("cluster info")
	if err := w.info(ctx); err != nil {
		return err
	}
	w.next("create index " + w.index)
	if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: w.index}); err != nil {
		return err
	}
	defer func() {
		w.next("delete index " + w.index)
		if _, err := client.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{w.index}}); err != nil {
			fmt.Fprintln(out, "   could not delete it:", err)
		}
		if t.local != nil {
			fmt.Fprintf(out, "\nthe endpoint accepted %d signed requests and rejected %d (the wrong secret).\n",
				t.local.Verifier.Accepted(), t.local.Verifier.Rejected())
		}
	}()
	w.next("bulk-index 4 documents (Japanese text among them)")
	if err := w.bulk(ctx); err != nil {
		return err
	}
	w.next(`search for "東京"`)
	if err := w.search(ctx); err != nil {
		return err
	}
	w.next("the same search signed with a wrong secret: AWS rejects it")
	return w.wrongSecret(ctx, t, p)
}

// walk is the quickstart's walk through OpenSearch: numbered steps on one
// index.
type walk struct {
	out    io.Writer
	client *opensearchapi.Client
	index  string
	step   int
}

// next prints the next step's title.
func (w *walk) next(title string) {
	w.step++
	fmt.Fprintf(w.out, "\n%d. %s\n", w.step, title)
}

// info prints the cluster's distribution and version.
func (w *walk) info(ctx context.Context) error {
	info, err := w.client.Info(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   cluster: %s %s\n", orDefault(info.Version.Distribution, "opensearch"), info.Version.Number)
	return nil
}

// bulk indexes four documents, two of them in Japanese, in one signed
// bulk request.
func (w *walk) bulk(ctx context.Context) error {
	docs := []map[string]string{
		{"title": "東京物語", "director": "小津安二郎", "year": "1953"},
		{"title": "七人の侍", "director": "黒澤明", "year": "1954"},
		{"title": "Tokyo Story (English title)", "director": "Yasujirō Ozu", "year": "1953"},
		{"title": "東京オリンピック", "director": "市川崑", "year": "1965"},
	}
	var bulk strings.Builder
	for i, d := range docs {
		meta, _ := json.Marshal(map[string]map[string]string{"index": {"_index": w.index, "_id": fmt.Sprint(i + 1)}})
		src, _ := json.Marshal(d)
		bulk.Write(meta)
		bulk.WriteByte('\n')
		bulk.Write(src)
		bulk.WriteByte('\n')
	}
	res, err := w.client.Bulk(ctx, opensearchapi.BulkReq{Body: strings.NewReader(bulk.String()), Params: opensearchapi.BulkParams{Refresh: "true"}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   indexed %d documents, errors: %v\n", len(res.Items), res.Errors)
	return nil
}

// search finds the documents whose title has 東京 (a query string in the
// URL, percent-encoded and signed as sent).
func (w *walk) search(ctx context.Context) error {
	found, err := w.client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{w.index}, Params: opensearchapi.SearchParams{Query: "title:東京"}})
	if err != nil {
		return err
	}
	for _, h := range found.Hits.Hits {
		var src map[string]string
		json.Unmarshal(h.Source, &src)
		fmt.Fprintf(w.out, "   hit: %s (%s, %s)\n", src["title"], src["director"], src["year"])
	}
	return nil
}

// wrongSecret signs the same search with the right key id and a wrong
// secret, and prints what transport.Diagnose makes of the refusal.
func (w *walk) wrongSecret(ctx context.Context, t *target, p *printer) error {
	real, err := t.creds.Retrieve(ctx)
	if err != nil {
		return err
	}
	wrong, err := t.transport(credentials.NewStatic(real.AccessKeyID, "not-the-right-secret", real.SessionToken), p)
	if err != nil {
		return err
	}
	u, _ := url.Parse(t.addr)
	u.Path = "/" + w.index + "/_search"
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
	fmt.Fprintln(w.out, "   diagnosis:")
	for _, l := range strings.Split(diag.Error(), "\n") {
		fmt.Fprintln(w.out, "   | "+l)
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
