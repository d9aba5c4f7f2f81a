package bench_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// BenchmarkSignClock is BenchmarkSignGET's request signed by this module
// under four clocks, so that the signer's memos (signer/memo.go) are
// measured missing as well as hitting:
//
//   - allhits: every signing in the same second, as BenchmarkSignGET: every
//     memo hits;
//   - everysecond: the clock advances one second per signing: what depends
//     only on the host, scope and credentials hits, what depends on the
//     second (the date, the string to sign's prefix) is made anew each
//     time. This is what a process signing about once a second sees;
//   - cold: the clock advances one second per signing and the signings
//     alternate between two hosts, regions and sets of credentials, so that
//     every memo, each holding only the last input it saw, misses every
//     time; the derived keys are still cached (a key is derived once a day
//     per credentials and scope);
//   - newday: cold with the clock a day further at each signing, so that
//     the signing key is derived every time too: the first signing of a
//     day, the worst case.
func BenchmarkSignClock(b *testing.B) {
	type input struct {
		req   *http.Request
		query string
		creds aws.Credentials
		reg   string
	}
	newInput := func(url string, c aws.Credentials, reg string) input {
		r, err := http.NewRequest("GET", url, nil)
		if err != nil {
			b.Fatal(err)
		}
		return input{r, r.URL.RawQuery, c, reg}
	}
	other := aws.Credentials{
		AccessKeyID:     "ASIAI44QH8DHBEXAMPLE",
		SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
		SessionToken:    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDothertokenvalue9876543210zyxwvutsrqponmlkjihgfedcba",
	}
	otherURL := "https://search-other-domain-def456.eu-west-1.es.amazonaws.com/my-index/_search?q=title:opensearch&size=10"
	cases := []struct {
		name   string
		step   time.Duration // the clock's advance per signing
		inputs int           // how many inputs the signings alternate between
	}{
		{"allhits", 0, 1},
		{"everysecond", time.Second, 1},
		{"cold", time.Second, 2},
		{"newday", 24 * time.Hour, 2},
	}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, _ := signer.New()
			ins := []input{newInput(getURL, creds, region), newInput(otherURL, other, "eu-west-1")}[:c.inputs]
			b.ReportAllocs()
			stop := reportCPU(b)
			at := start
			for i := 0; i < b.N; i++ {
				in := &ins[i%len(ins)]
				resetGET(in.req, in.query)
				if err := s.Sign(in.req, in.creds, in.reg, service, at); err != nil {
					b.Fatal(err)
				}
				at = at.Add(c.step)
			}
			stop()
		})
	}
}
