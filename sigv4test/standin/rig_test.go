package standin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The keys the verifying endpoint accepts: not AWS keys.
const (
	accessKeyID  = "AKIASTANDINTEST00001"
	secretKey    = "standin-test-secret-not-an-aws-key"
	sessionToken = "standin-test-session-token"
	region       = "eu-west-1"
)

// call is one request as the verifying endpoint received it, with the
// status it answered.
type call struct {
	method, uri string
	status      int
}

func (c call) String() string {
	return c.method + " " + c.uri + " -> " + http.StatusText(c.status) + " " + itoa(c.status)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// rig is a sigv4test verifying endpoint in front of a stand-in, with a
// record of every call, and a transport signing for it with static keys.
type rig struct {
	t        *testing.T
	store    *standin.Server
	verifier *sigv4test.Handler
	srv      *httptest.Server
	tr       *transport.Transport
	mu       sync.Mutex
	calls    []call
}

func newRig(t *testing.T) *rig {
	t.Helper()
	rg := &rig{t: t, store: standin.New()}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: accessKeyID, SecretAccessKey: secretKey, SessionToken: sessionToken}}
		o.Region, o.Service = region, "es"
		o.Handler = rg.store
	})
	if err != nil {
		t.Fatal(err)
	}
	rg.verifier = v
	rg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: 200}
		v.ServeHTTP(rec, r)
		rg.mu.Lock()
		rg.calls = append(rg.calls, call{r.Method, r.URL.RequestURI(), rec.status})
		rg.mu.Unlock()
	}))
	t.Cleanup(rg.srv.Close)
	rg.tr, err = transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region, o.Service = rg.srv.URL, region, "es"
		o.Credentials = credentials.NewStatic(accessKeyID, secretKey, sessionToken)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rg
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// flow logs every call the endpoint received, and fails the test if any
// was rejected by the verifier (every call must have been signed right).
func (rg *rig) flow() []call {
	rg.t.Helper()
	rg.mu.Lock()
	defer rg.mu.Unlock()
	var b strings.Builder
	for _, c := range rg.calls {
		b.WriteString("\n  " + c.String())
	}
	rg.t.Logf("flow against the stand-in (%d calls):%s", len(rg.calls), b.String())
	if n := rg.verifier.Rejected(); n != 0 {
		rg.t.Errorf("the verifying endpoint rejected %d requests", n)
	}
	return slices.Clone(rg.calls)
}

// called tells whether the endpoint received a call whose "METHOD URI"
// starts with prefix, and answered it with status.
func (rg *rig) called(prefix string, status int) bool {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	for _, c := range rg.calls {
		if strings.HasPrefix(c.method+" "+c.uri, prefix) && c.status == status {
			return true
		}
	}
	return false
}

// films are the documents every client test indexes: one by the index API,
// four by _bulk.
var films = []struct {
	id, source string
}{
	{"1", `{"title":"Tokyo Story","director":"Yasujirō Ozu","year":1953,"genre":"drama","released":"1953-11-03"}`},
	{"2", `{"title":"Seven Samurai","director":"Akira Kurosawa","year":1954,"genre":"action","released":"1954-04-26"}`},
	{"3", `{"title":"Rashomon","director":"Akira Kurosawa","year":1950,"genre":"drama","released":"1950-08-25"}`},
	{"4", `{"title":"Tokyo Olympiad","director":"Kon Ichikawa","year":1965,"genre":"documentary","released":"1965-03-20"}`},
	{"5", `{"title":"Ikiru","director":"Akira Kurosawa","year":1952,"genre":"drama","released":"1952-10-09"}`},
}

// bulkBody is films[1:] as _bulk NDJSON for index, and one more action
// that must fail: a year that is not a number for the long field "year".
func bulkBody(index string) string {
	var b strings.Builder
	for _, f := range films[1:] {
		b.WriteString(`{"index":{"_index":"` + index + `","_id":"` + f.id + `"}}` + "\n" + f.source + "\n")
	}
	b.WriteString(`{"index":{"_index":"` + index + `","_id":"bad"}}` + "\n" + `{"title":"Bad","year":"nineteen fifty"}` + "\n")
	return b.String()
}

// The queries each client runs, and the ids OpenSearch answers them with.
const (
	termQuery     = `{"query":{"term":{"genre.keyword":"drama"}}}`
	termTextQuery = `{"query":{"term":{"title":"Tokyo"}}}` // a text field holds "tokyo": no match
	boolQuery     = `{"query":{"bool":{"must":[{"match":{"director":"kurosawa"}}],"filter":[{"range":{"year":{"gte":1951}}}],"must_not":[{"term":{"genre.keyword":"action"}}]}}}`
	rangeQuery    = `{"query":{"range":{"released":{"gte":"1953-01-01","lt":"1960-01-01"}}},"sort":[{"year":"asc"}]}`
	countQuery    = `{"query":{"match":{"director":"Kurosawa"}}}`
	dbqQuery      = `{"query":{"term":{"genre.keyword":"drama"}}}`
)

var (
	wantTerm  = []string{"1", "3", "5"}
	wantBool  = []string{"5"}
	wantRange = []string{"1", "2"} // sorted by year
)

func sameIDs(t *testing.T, what string, got []string, want []string, ordered bool) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	if !ordered {
		sort.Strings(g)
		sort.Strings(w)
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s: ids %v, want %v", what, got, want)
	}
}
