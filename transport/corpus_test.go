package transport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// The refusal corpus: real refusals that AWS, OpenSearch Serverless,
// OpenSearch Ingestion and OpenSearch sent to users, one JSON file each,
// with the cause and the words of the fix that worked (the format is in
// the issue that asked for it: source, service, status, headers, body,
// request, cause, fixed_by, fix_words, echoed).
const corpusDir = "testdata/refusals"

// Floors on the corpus score, in percent, set just under what the
// classifier achieves (113/115 causes, 113/115 fixes), so that a change
// that loses cases fails.
const (
	corpusCausesFloor = 96
	corpusFixesFloor  = 96
	// corpusMinCases is how many cases CI requires.
	corpusMinCases = 100
)

// corpusCase is one refusal of the corpus.
type corpusCase struct {
	Source   string            `json:"source"`
	Service  string            `json:"service"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
	Request  string            `json:"request"`
	Cause    string            `json:"cause"`
	FixedBy  string            `json:"fixed_by"`
	FixWords []string          `json:"fix_words"`
	Echoed   []string          `json:"echoed"`

	file string
}

var corpusFields = []string{"source", "service", "status", "headers", "body", "request", "cause", "fixed_by", "fix_words", "echoed"}

// causeNames are the names a case's cause may take: every Cause's String,
// and "none" for a response that is not a refusal.
func causeNames() []string {
	names := []string{"none"}
	for c := transport.Cause(0); !strings.HasPrefix(c.String(), "cause("); c++ {
		names = append(names, c.String())
	}
	return names
}

// loadCorpus reads every *.json file of dir as a corpus case, or fails
// naming the file and what is wrong with it.
func loadCorpus(dir string) ([]corpusCase, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var cases []corpusCase
	for _, f := range files {
		c, err := loadCase(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func loadCase(file string) (corpusCase, error) {
	var c corpusCase
	raw, err := os.ReadFile(file)
	if err != nil {
		return c, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return c, err
	}
	for _, f := range corpusFields {
		if _, ok := fields[f]; !ok {
			return c, fmt.Errorf("field %q is missing", f)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	c.file = filepath.Base(file)
	switch {
	case !strings.HasPrefix(c.Source, "https://") && !strings.HasPrefix(c.Source, "http://"):
		return c, fmt.Errorf("source %q is not a URL", c.Source)
	case !slices.Contains([]string{"es", "aoss", "osis", "sts", "opensearch"}, c.Service):
		return c, fmt.Errorf("service %q is none of es, aoss, osis, sts, opensearch", c.Service)
	case c.Status < 100 || c.Status > 599:
		return c, fmt.Errorf("status %d is not an HTTP status", c.Status)
	case !slices.Contains(causeNames(), c.Cause):
		return c, fmt.Errorf("cause %q is not a cause's name (%s)", c.Cause, strings.Join(causeNames(), ", "))
	case len(c.FixWords) == 0:
		return c, errors.New("fix_words is empty")
	case strings.TrimSpace(c.FixedBy) == "":
		return c, errors.New("fixed_by is empty")
	case c.Echoed == nil:
		return c, errors.New("echoed is null: write [] when the body echoes no credential")
	}
	for _, w := range c.FixWords {
		if strings.TrimSpace(w) == "" {
			return c, errors.New("fix_words holds an empty word")
		}
	}
	for _, e := range c.Echoed {
		if len(e) < 8 || !strings.Contains(c.Body, e) {
			return c, fmt.Errorf("echoed value %q is not in the body (or shorter than 8 characters)", e)
		}
	}
	return c, nil
}

// corpusHosts are the hosts a case's request is sent to, by service, and
// the region and service to sign for where the host name does not say.
var corpusHosts = map[string]struct{ host, region, service string }{
	"es":         {"search-corpus-abc123.us-east-1.es.amazonaws.com", "", ""},
	"aoss":       {"corpus0abc123.us-east-1.aoss.amazonaws.com", "", ""},
	"osis":       {"corpus-pipeline-abc123.us-east-1.osis.amazonaws.com", "us-east-1", "osis"},
	"sts":        {"sts.us-east-1.amazonaws.com", "us-east-1", "sts"},
	"opensearch": {"opensearch.example.com:9200", "us-east-1", "es"},
}

var (
	reAccessKeyID = regexp.MustCompile(`^(?:AKIA|ASIA)[A-Z0-9]{16}$`)
	reRequestLine = regexp.MustCompile(`^([A-Z]+)\s+(\S+)`)
	// reCanonicalHost finds the host line of a canonical request quoted in
	// a body (with its newlines JSON-escaped).
	reCanonicalHost = regexp.MustCompile(`\\nhost:([a-z0-9.-]+(?::\d+)?)\\n`)
)

// caseRequest is the request a case shows (or GET / when it shows none),
// to the service's host.
func caseRequest(c corpusCase) (*http.Request, error) {
	method, target := http.MethodGet, "/"
	if m := reRequestLine.FindStringSubmatch(strings.TrimSpace(c.Request)); m != nil {
		method, target = m[1], m[2]
	}
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.RequestURI()
	}
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	host := corpusHosts[c.Service].host
	if m := reCanonicalHost.FindStringSubmatch(c.Body); m != nil {
		host = m[1] // the host AWS saw, as a signature mismatch quotes it
	}
	u, err := url.Parse("https://" + host + target)
	if err != nil {
		u, _ = url.Parse("https://" + host + "/")
	}
	var body io.Reader
	if method == http.MethodPost || method == http.MethodPut {
		body = strings.NewReader("{}\n")
	}
	return http.NewRequest(method, u.String(), body)
}

// caseCredentials are the credentials a case's request is signed with:
// an echoed access key id and session token are the request's own, as
// they would be when AWS echoes them.
func caseCredentials(c corpusCase) (akid, token string) {
	akid = "AKIDCORPUSEXAMPLE"
	for _, e := range c.Echoed {
		switch {
		case reAccessKeyID.MatchString(e):
			akid = e
		case token == "" && looksLikeSessionToken(e):
			token = e
		}
	}
	return akid, token
}

// looksLikeSessionToken: STS session tokens are long base64 strings.
func looksLikeSessionToken(s string) bool {
	return len(s) >= 24 && !strings.ContainsAny(s, " :") && !strings.HasPrefix(s, "Basic") && !strings.HasPrefix(s, "Bearer")
}

// corpusResult is how the diagnosis did on one case.
type corpusResult struct {
	causeRight, fixUseful bool
	shown                 []string // echoed values shown, and where
	whole                 bool     // the body handed back is the body sent, redactions apart
	got                   string   // the cause diagnosed, or "none"
	fix                   string
}

// runCase sends a case's request through a Transport whose base answers
// with the case's response, and judges the diagnosis.
func runCase(t *testing.T, c corpusCase) corpusResult {
	t.Helper()
	var r corpusResult
	req, err := caseRequest(c)
	if err != nil {
		t.Fatalf("%s: request %q: %v", c.file, c.Request, err)
	}
	akid, token := caseCredentials(c)
	var sent *http.Request
	var diagnoses []*transport.Diagnosis
	hosts := corpusHosts[c.Service]
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service = hosts.region, hosts.service
		o.Credentials = credentials.NewStatic(akid, "corpus-secret", token)
		o.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Body != nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
			sent = r
			h := http.Header{}
			for k, v := range c.Headers {
				h.Set(k, v)
			}
			return &http.Response{StatusCode: c.Status, Header: h, Body: io.NopCloser(strings.NewReader(c.Body)), Request: r}, nil
		})
		o.OnForbidden = func(d *transport.Diagnosis) { diagnoses = append(diagnoses, d) }
	})
	if err != nil {
		t.Fatalf("%s: %v", c.file, err)
	}
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s: %v", c.file, err)
	}
	handed, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s: reading the body handed back: %v", c.file, err)
	}

	// Diagnose on the response as sent, and the transport's diagnosis,
	// must agree.
	direct := &http.Response{StatusCode: c.Status, Header: res.Header, Body: io.NopCloser(strings.NewReader(c.Body)), Request: sent}
	derr := transport.Diagnose(direct)
	var d *transport.Diagnosis
	if len(diagnoses) > 0 {
		d = diagnoses[len(diagnoses)-1]
	}
	if (d == nil) != (derr == nil) {
		t.Errorf("%s: the transport diagnosed %v, Diagnose %v", c.file, d, derr)
	}
	if td := tr.DiagnosisFor(res.Header); td != d {
		t.Errorf("%s: DiagnosisFor gives %v, the hook %v", c.file, td, d)
	}

	r.got = "none"
	if d != nil {
		r.got, r.fix = d.Cause.String(), d.Fix
	}
	r.causeRight = r.got == c.Cause
	if c.Cause == "none" {
		r.fixUseful = d == nil
	} else if d != nil {
		fix := strings.ToLower(d.Fix)
		r.fixUseful = slices.ContainsFunc(c.FixWords, func(w string) bool { return strings.Contains(fix, strings.ToLower(w)) })
	}

	// Where an echoed credential must not be: the diagnosis, in every
	// form a program may print it, and the body handed back.
	shown := map[string]string{"the body handed back": string(handed)}
	if d != nil {
		shown["Error()"] = d.Error()
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			shown[verb] = fmt.Sprintf(verb, d) + fmt.Sprintf(verb, error(d))
		}
	}
	if derr != nil {
		shown["Diagnose"] = fmt.Sprintf("%#v %s", derr, derr)
	}
	want := c.Body
	for _, e := range c.Echoed {
		var places []string
		for where, s := range shown {
			if strings.Contains(s, e) || strings.Contains(s, strings.ReplaceAll(e, "/", `\/`)) {
				places = append(places, where)
			}
		}
		if len(places) > 0 {
			sort.Strings(places)
			r.shown = append(r.shown, e+" in "+strings.Join(places, ", "))
		}
		want = strings.ReplaceAll(want, e, "<redacted>")
	}
	r.whole = string(handed) == want || (len(r.shown) > 0 && string(handed) == c.Body)
	return r
}

// corpusScore is the score of a corpus.
type corpusScore struct {
	cases, causes, fixes, shown int
	shownIn                     []string // "file: value" for each echoed credential shown
	broken                      []string // cases whose body was not handed back whole
	misses                      []string
}

func (s corpusScore) String() string {
	return fmt.Sprintf("causes right %d/%d, fixes useful %d/%d, echoed credentials shown %d", s.causes, s.cases, s.fixes, s.cases, s.shown)
}

func scoreCorpus(t *testing.T, cases []corpusCase) corpusScore {
	t.Helper()
	var s corpusScore
	for _, c := range cases {
		r := runCase(t, c)
		s.cases++
		if r.causeRight {
			s.causes++
		}
		if r.fixUseful {
			s.fixes++
		}
		s.shown += len(r.shown)
		for _, e := range r.shown {
			s.shownIn = append(s.shownIn, c.file+": "+e)
		}
		if !r.whole {
			s.broken = append(s.broken, c.file)
		}
		if !r.causeRight || !r.fixUseful {
			s.misses = append(s.misses, fmt.Sprintf("%s: %d %s: want %q, got %q; fix useful %v (words %q)\n    fix: %s",
				c.file, c.Status, c.Service, c.Cause, r.got, r.fixUseful, c.FixWords, r.fix))
		}
	}
	return s
}

// TestCorpus scores the diagnosis on every refusal of the corpus and
// prints the score, which must stay at or above its floors; no echoed
// credential may be shown, and every body must be handed back whole.
func TestCorpus(t *testing.T) {
	cases, err := loadCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	ci := os.Getenv("CI") == "true"
	switch {
	case ci && len(cases) < corpusMinCases:
		t.Fatalf("the corpus in %s has %d cases; CI requires at least %d", corpusDir, len(cases), corpusMinCases)
	case len(cases) == 0:
		t.Skipf("no corpus in %s on this branch", corpusDir)
	}
	s := scoreCorpus(t, cases)
	for _, m := range s.misses {
		t.Log(m)
	}
	t.Log(s)
	fmt.Printf("refusal corpus: %s\n", s)
	if s.shown > 0 {
		t.Errorf("echoed credentials shown: %q", s.shownIn)
	}
	if len(s.broken) > 0 {
		t.Errorf("bodies not handed back whole: %q", s.broken)
	}
	if s.causes*100 < corpusCausesFloor*s.cases {
		t.Errorf("causes right %d/%d, under the floor of %d%%", s.causes, s.cases, corpusCausesFloor)
	}
	if s.fixes*100 < corpusFixesFloor*s.cases {
		t.Errorf("fixes useful %d/%d, under the floor of %d%%", s.fixes, s.cases, corpusFixesFloor)
	}
}

// writeCase writes a corpus file of fields into dir.
func writeCase(t *testing.T, dir, name string, fields map[string]any) {
	t.Helper()
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// harnessCase is a well-formed case for the harness's own tests; its body
// is one of this package's fixtures, not a corpus refusal.
func harnessCase() map[string]any {
	return map[string]any{
		"source": "https://example.com/thread", "service": "es", "status": 403, "headers": map[string]string{},
		"body": fixturePolicy, "request": "POST /logs/_bulk", "cause": "access policy denial",
		"fixed_by": "The role was allowed es:ESHttpPost.", "fix_words": []string{"es:ESHttpPost"}, "echoed": []string{},
	}
}

// TestCorpusRejectsBadCases: a file with a missing field, an unknown
// field, an unknown cause or service, or an echoed value not in its body
// stops the corpus test, naming the file and the problem.
func TestCorpusRejectsBadCases(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(map[string]any)
		says   string
	}{
		{"missing field", func(m map[string]any) { delete(m, "fix_words") }, `field "fix_words" is missing`},
		{"missing echoed", func(m map[string]any) { delete(m, "echoed") }, `field "echoed" is missing`},
		{"unknown field", func(m map[string]any) { m["fix"] = "x" }, `unknown field "fix"`},
		{"unknown cause", func(m map[string]any) { m["cause"] = "access denied" }, `cause "access denied" is not a cause's name`},
		{"unknown service", func(m map[string]any) { m["service"] = "s3" }, `service "s3"`},
		{"no fix words", func(m map[string]any) { m["fix_words"] = []string{} }, "fix_words is empty"},
		{"echoed not in body", func(m map[string]any) { m["echoed"] = []string{"AKIAIOSFODNN7EXAMPLE"} }, "is not in the body"},
		{"not a URL", func(m map[string]any) { m["source"] = "a forum" }, "is not a URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCase(t, dir, "es-good.json", harnessCase())
			bad := harnessCase()
			c.change(bad)
			writeCase(t, dir, "es-bad.json", bad)
			_, err := loadCorpus(dir)
			if err == nil || !strings.Contains(err.Error(), "es-bad.json") || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("loadCorpus = %v, want an error naming es-bad.json and saying %q", err, c.says)
			}
		})
	}
	dir := t.TempDir()
	writeCase(t, dir, "es-good.json", harnessCase())
	if cases, err := loadCorpus(dir); err != nil || len(cases) != 1 {
		t.Fatalf("a good case: %v, %d cases", err, len(cases))
	}
}

// TestCorpusScoring: the harness counts what it should, on cases of its
// own: a right cause and a useful fix, a wrong cause, a fix without the
// words, a response Diagnose must leave alone, a session token echoed
// (which the transport redacts, so the body is whole with it redacted),
// and a value echoed that no redaction can know, which is counted as
// shown.
func TestCorpusScoring(t *testing.T) {
	dir := t.TempDir()
	writeCase(t, dir, "es-right.json", harnessCase())
	wrong := harnessCase()
	wrong["cause"] = "fine-grained access control denial"
	writeCase(t, dir, "es-wrong-cause.json", wrong)
	useless := harnessCase()
	useless["fix_words"] = []string{"backend_roles"}
	writeCase(t, dir, "es-useless-fix.json", useless)
	none := harnessCase()
	none["status"], none["body"], none["cause"] = 404, `{"error":"index_not_found_exception"}`, "none"
	writeCase(t, dir, "es-none.json", none)
	token := harnessCase()
	token["body"], token["cause"], token["echoed"] = fixtureMismatch, "signature mismatch", []string{"SENTINEL-TOKEN-in-aws-message"}
	token["fix_words"] = []string{"path differs"}
	writeCase(t, dir, "es-token.json", token)
	unknown := harnessCase()
	unknown["body"], unknown["cause"], unknown["echoed"] = `{"message":"nothing known about NOTKNOWN-EXAMPLE"}`, "other", []string{"NOTKNOWN-EXAMPLE"}
	unknown["fix_words"] = []string{"access policy"}
	writeCase(t, dir, "es-unknown-echo.json", unknown)

	cases, err := loadCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := scoreCorpus(t, cases)
	t.Log(s)
	if s.cases != 6 || s.causes != 5 || s.fixes != 5 || s.shown != 1 {
		t.Errorf("score %v, want causes right 5/6, fixes useful 5/6, echoed credentials shown 1", s)
	}
	if len(s.shownIn) != 1 || !strings.HasPrefix(s.shownIn[0], "es-unknown-echo.json") {
		t.Errorf("shown in %q, want es-unknown-echo.json alone", s.shownIn)
	}
	if len(s.broken) != 0 {
		t.Errorf("bodies not whole: %q", s.broken)
	}
	if len(s.misses) != 2 {
		t.Errorf("misses: %q", s.misses)
	}
}
