package transport_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/spool"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestSpoolBudgetOnlyForRoundTrip: a body without GetBody that RoundTrip
// spools counts against the spools' shared memory budget while it is sent
// and gives its share back once RoundTrip returns; one that SignRequest
// spools (the caller sends it, and holds the spool) never counts, nor do
// bodies RoundTrip need not spool. The transport says so to the signer
// explicitly (signer.Options.SpoolBudget), not through the context.
func TestSpoolBudgetOnlyForRoundTrip(t *testing.T) {
	const size = 1 << 20
	before := spool.BudgetInUse()
	var during int64
	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
		})
		o.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			during = spool.BudgetInUse()
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	send := func(body io.Reader) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://localhost:9200/_bulk", body)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}

	send(plainReader{bytes.NewReader(make([]byte, size))}) // no GetBody: spooled
	if during-before < size {
		t.Errorf("RoundTrip's spooled body: %d bytes of the budget in use while sent, want at least %d more than the %d before", during, size, before)
	}
	if got := spool.BudgetInUse(); got != before {
		t.Errorf("after RoundTrip returned: %d bytes of the budget in use, want the %d before", got, before)
	}

	send(strings.NewReader(strings.Repeat("x", size))) // GetBody: not spooled
	if during != before {
		t.Errorf("RoundTrip's replayable body: %d bytes of the budget in use while sent, want the %d before", during, before)
	}

	req, _ := http.NewRequest("POST", "http://localhost:9200/_bulk", plainReader{bytes.NewReader(make([]byte, size))})
	if err := tr.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	if req.GetBody == nil {
		t.Fatal("SignRequest did not spool the body")
	}
	if got := spool.BudgetInUse(); got != before {
		t.Errorf("SignRequest's spooled body: %d bytes of the budget in use, want the %d before", got, before)
	}
}
