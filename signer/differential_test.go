package signer_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// Pieces of generated requests, in wire form.
var (
	genMethods  = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
	genServices = []string{"es", "aoss", "execute-api", "lambda", "s3"}
	genHosts    = []string{
		"search-my-domain-abc123.ap-northeast-1.es.amazonaws.com",
		"search-my-domain-abc123.ap-northeast-1.es.amazonaws.com:443",
		"vpc-logs-xyz.eu-west-1.es.amazonaws.com:9200",
		"abc123.us-east-1.aoss.amazonaws.com",
	}
	genSegments = []string{
		"my-index", "_doc", "_search", "_bulk", "_cat", "indices", "a%20b", "a%2Fb", "%2F",
		"*", "+", ":", "a:b", "x+y", "(paren)", "%24delete", "$", "a@b", "id=1", "~tilde", "UPPER",
		"%E6%97%A5%E6%9C%AC%E8%AA%9E", "%E3%83%89%E3%82%AD%E3%83%A5%E3%83%A1%E3%83%B3%E3%83%88",
		"..", ".", "", "a!b", "comma,sep", "%41", "%7e", "%25",
	}
	genKeys = []string{
		"q", "size", "v", "format", "pretty", "a+b", "a%20b", "%E6%97%A5%E6%9C%AC", "k:1", "x*y",
		"filter_path", "_source_includes", "sort", "AWS", "Z", "%7E", "refresh", "routing",
	}
	genValues = []string{
		"", "1", "true", "title:hello", "title:hello+world", "a%20b", "%2B", "+", "*",
		"%E6%9D%B1%E4%BA%AC", "a=b", "~", "%7e", "-_.", "date:[2020 TO 2021]", "%3D", "x,y",
	}
	// Values that url.ParseQuery drops (and we encode), used sparingly.
	genOddValues    = []string{"semi;colon", "100%", "%zz"}
	genHeaderValues = []string{
		"value", "  padded  ", "a   b   c", "tab\tinside", "\tlead-tab", "\"quoted   text\"",
		"", "UPPER lower", "日本語", "v1,v2",
	}
)

type genRequest struct {
	req   *http.Request
	creds aws.Credentials
	svc   string
	body  []byte
}

// generate makes the i-th request. One in eight carries 13 to 40 signed
// headers and 13 to 40 query parameters, beyond the 12 up to which the
// signer sorts by insertion, so that its other sort paths run too.
func generate(r *rand.Rand, i int) genRequest {
	many := func() int { return 13 + r.IntN(28) }
	big := i%8 == 7
	method := genMethods[r.IntN(len(genMethods))]
	host := genHosts[r.IntN(len(genHosts))]
	scheme := "https"
	if strings.HasSuffix(host, ":9200") && r.IntN(2) == 0 {
		scheme = "http"
	}
	var p strings.Builder
	for n := r.IntN(5); n >= 0; n-- {
		p.WriteByte('/')
		p.WriteString(genSegments[r.IntN(len(genSegments))])
	}
	if r.IntN(4) == 0 {
		p.WriteByte('/')
	}
	var q []string
	nq := r.IntN(5)
	if big {
		nq = many()
	}
	for n := nq; n > 0; n-- {
		k := genKeys[r.IntN(len(genKeys))]
		switch r.IntN(5) {
		case 0:
			q = append(q, k) // no '='
		case 1:
			if r.IntN(8) == 0 {
				q = append(q, k+"="+genOddValues[r.IntN(len(genOddValues))])
				break
			}
			fallthrough
		default:
			q = append(q, k+"="+genValues[r.IntN(len(genValues))])
		}
		if r.IntN(6) == 0 {
			q = append(q, q[len(q)-1]) // repeated key
		}
	}
	raw := scheme + "://" + host + p.String()
	if len(q) > 0 {
		raw += "?" + strings.Join(q, "&")
	}
	var body []byte
	switch r.IntN(6) {
	case 1:
		body = []byte(`{"title":"東京タワー","n":` + string(rune('0'+r.IntN(10))) + `}`)
	case 2:
		body = make([]byte, r.IntN(4096))
		for j := range body {
			body[j] = byte(r.Uint32())
		}
	case 3:
		body = []byte{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}
	}
	var rdr io.Reader
	if body != nil {
		rdr = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, raw, rdr)
	if err != nil {
		panic("generated an unparseable URL " + raw + ": " + err.Error())
	}
	hv := func() string { return genHeaderValues[r.IntN(len(genHeaderValues))] }
	if body != nil || r.IntN(3) == 0 {
		req.Header.Set("Content-Type", "application/json;  charset=UTF-8")
	}
	for n := r.IntN(3); n > 0; n-- {
		name := []string{"X-Amz-Meta-Note", "X-Amz-Target", "X-Custom", "User-Agent", "Accept-Encoding", "X-Forwarded-For", "X-Amzn-Trace-Id", "Accept"}[r.IntN(8)]
		req.Header.Add(name, hv())
		if r.IntN(3) == 0 {
			req.Header.Add(name, hv()) // repeated line
		}
	}
	if big {
		for n := many(); n > 0; n-- {
			var name strings.Builder
			name.WriteString("X-Amz-Meta-")
			for k := 1 + r.IntN(6); k > 0; k-- {
				name.WriteByte("abcxyz-0"[r.IntN(8)])
			}
			req.Header.Add(name.String(), hv())
		}
	}
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	if r.IntN(2) == 0 {
		creds.SessionToken = "FwoGZXIvYXdzEJr//////////wEaDNkNs0" + strings.Repeat("x", r.IntN(40))
	}
	return genRequest{req: req, creds: creds, svc: genServices[r.IntN(len(genServices))], body: body}
}

// predictDifferences names, independently of the signer, the deliberate
// differences from the SDK (DESIGN.md, "Wire form" and "Signing") that
// apply to a raw request: where none applies, the SDK given the raw
// request must agree with us exactly.
func predictDifferences(req *http.Request, svc string) []string {
	var d []string
	p := req.URL.EscapedPath()
	if svc != "s3" {
		segs := strings.Split(p, "/")
		for i, s := range segs[1:] {
			if s == "." || s == ".." || (s == "" && i+2 < len(segs)) {
				d = append(d, "dot or empty path segments (DESIGN.md, \"Wire form\": we send . and .. as %2E and %2E%2E and drop empty segments; the SDK signs the path as given)")
				break
			}
		}
	} else if p != strictS3(p) {
		d = append(d, "s3 path encoding (DESIGN.md, \"Wire form\": the SDK signs the path bytes as given)")
	}
	for k, vs := range req.Header {
		l := strings.ToLower(k)
		switch {
		case l == "content-type" || strings.HasPrefix(l, "x-amz-"):
		case l == "user-agent" || l == "x-amzn-trace-id" || l == "expect" || l == "transfer-encoding":
			continue // neither signs them
		default:
			d = append(d, "header set (DESIGN.md, \"Signing\": the SDK signs "+l+")")
			continue
		}
		for _, v := range vs {
			if strings.Contains(strings.Trim(v, " \t"), "\t") {
				d = append(d, "tab in a header value (DESIGN.md, \"Signing\": the SDK keeps tabs inside values)")
			}
		}
	}
	if req.ContentLength > 0 {
		d = append(d, "header set (DESIGN.md, \"Signing\": the SDK signs content-length)")
	}
	for _, param := range strings.Split(req.URL.RawQuery, "&") {
		if strings.Contains(param, ";") {
			d = append(d, "';' in the query (DESIGN.md, \"Wire form\": url.ParseQuery drops the parameter; we encode it)")
		}
		for i := strings.IndexByte(param, '%'); i >= 0; i = strings.IndexByte(param, '%') {
			if i+2 >= len(param) || !isHex(param[i+1]) || !isHex(param[i+2]) {
				d = append(d, "malformed %-escape in the query (DESIGN.md, \"Wire form\": url.ParseQuery drops the parameter; we encode '%')")
				break
			}
			param = param[i+3:]
		}
	}
	sort.Strings(d)
	return d
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// strictS3 decodes and encodes each segment once, strictly.
func strictS3(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			dec = s
		}
		var b strings.Builder
		for j := 0; j < len(dec); j++ {
			c := dec[j]
			if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
				b.WriteByte(c)
			} else {
				b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
			}
		}
		segs[i] = b.String()
	}
	return strings.Join(segs, "/")
}

// TestDifferentialSDK signs thousands of generated requests with this signer
// and with aws-sdk-go-v2's v4.Signer. On the same canonical inputs the
// canonical requests and signatures must agree. Given the raw request, the
// SDK must also agree unless one of the deliberate differences (DESIGN.md,
// "Wire form") applies, which the test predicts and names per case.
func TestDifferentialSDK(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	var trace signer.Trace
	s, err := signer.New(func(o *signer.Options) { o.Trace = func(tr signer.Trace) { trace = tr } })
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2026, 11))
	at := time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC)
	byDifference := map[string]int{}
	agreedRaw, manyHeaders, manyParams := 0, 0, 0
	for i := 0; i < n; i++ {
		g := generate(r, i)
		raw := g.req.Clone(context.Background())
		raw.Body, raw.GetBody = nil, nil
		want := predictDifferences(g.req, g.svc)

		signed := compareWithSDK(t, s, &trace, g.req, g.creds, "ap-northeast-1", g.svc, at)
		if strings.Count(trace.SignedHeaders, ";") >= 12 {
			manyHeaders++
		}
		if lines := strings.SplitN(trace.CanonicalRequest, "\n", 4); len(lines) > 2 && strings.Count(lines[2], "&") >= 12 {
			manyParams++
		}

		// The body is still there and unchanged after hashing.
		if g.body != nil {
			got, err := io.ReadAll(signed.Body)
			if err != nil || !bytes.Equal(got, g.body) {
				t.Fatalf("case %d: body after signing = %d bytes (err %v), want the %d bytes given", i, len(got), err, len(g.body))
			}
		}

		rawURL := raw.URL.String()
		// Rule 5 always sends X-Amz-Content-Sha256; SignHTTP signs it only
		// when present, so the raw request carries it too.
		raw.Header.Set("X-Amz-Content-Sha256", signed.Header.Get("X-Amz-Content-Sha256"))
		rawCreq, rawAuthz := sdkSign(t, raw, g.creds, signed.Header.Get("X-Amz-Content-Sha256"), g.svc, "ap-northeast-1", at)
		if len(want) == 0 {
			if rawAuthz != signed.Header.Get("Authorization") {
				t.Fatalf("case %d (%s %s, service %s): no deliberate difference applies, yet the SDK disagrees on the raw request:\n--- ours\n%s\n--- sdk\n%s", i, raw.Method, rawURL, g.svc, trace.CanonicalRequest, rawCreq)
			}
			agreedRaw++
			continue
		}
		for _, d := range want {
			byDifference[d]++
		}
	}
	t.Logf("%d generated requests: all agree with the SDK on the same canonical inputs; %d agree on the raw request too", n, agreedRaw)
	keys := make([]string, 0, len(byDifference))
	for k := range byDifference {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  raw request differs by design, %5d cases: %s", byDifference[k], k)
	}
	t.Logf("%d requests signed more than 12 headers, %d more than 12 query parameters", manyHeaders, manyParams)
	if manyHeaders < n/10 || manyParams < n/10 {
		t.Errorf("%d requests signed more than 12 headers and %d more than 12 parameters, want at least %d each: the sort paths beyond insertion sort are not tested", manyHeaders, manyParams, n/10)
	}
	if agreedRaw < n/20 {
		t.Errorf("only %d of %d raw requests had no deliberate difference: the generator no longer tests raw agreement", agreedRaw, n)
	}
}
