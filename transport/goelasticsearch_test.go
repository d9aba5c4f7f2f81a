package transport_test

import (
	"strings"
	"testing"

	elasticsearch7 "github.com/elastic/go-elasticsearch/v7"
)

// TestGoElasticsearchV7_13 drives go-elasticsearch v7.13.1, the last v7
// release without the product check that makes later ones refuse any
// server that is not Elasticsearch, through the transport: every request
// is accepted by the verifying endpoint.
func TestGoElasticsearchV7_13(t *testing.T) {
	rg := newRig(t, "es")
	es, err := elasticsearch7.NewClient(elasticsearch7.Config{Addresses: []string{rg.srv.URL}, Transport: rg.transport(goodCreds, "es")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := es.Info()
	if err != nil || res.IsError() {
		t.Fatalf("Info: %v %v", res, err)
	}
	res.Body.Close()
	res, err = es.Index("books", strings.NewReader(`{"title":"羅生門"}`), es.Index.WithDocumentID("1"))
	if err != nil || res.IsError() {
		t.Fatalf("Index: %v %v", res, err)
	}
	res.Body.Close()
	if _, ok := rg.store.Doc("books", "1"); !ok || rg.verifier.Rejected() != 0 {
		t.Errorf("stored %v, rejected %d", ok, rg.verifier.Rejected())
	}
}
