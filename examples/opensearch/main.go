// Command opensearch uses opensearch-go v2 through the signing transport:
// create an index, index and search documents, and bulk-index with
// opensearchutil.BulkIndexer.
//
//	go run ./examples/opensearch -endpoint https://search-mydomain-abc.eu-west-1.es.amazonaws.com
//
// Without -endpoint it runs offline against a local verifying endpoint.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	opensearch "github.com/opensearch-project/opensearch-go/v2"
	"github.com/opensearch-project/opensearch-go/v2/opensearchutil"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "opensearch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("opensearch", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "domain or collection URL; empty runs offline")
	index := fs.String("index", "sigv4-example-books", "index to create and fill")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without -endpoint: a local verifying endpoint and demo keys.
	opts, stop, err := demo.Target(endpoint)
	if err != nil {
		return err
	}
	defer stop()

	// The part to copy: a signing transport, given to opensearch-go.
	tr, err := transport.New(opts...)
	if err != nil {
		return err
	}
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{*endpoint}, Transport: tr})
	if err != nil {
		return err
	}

	res, err := client.Indices.Create(*index)
	if err != nil {
		return err
	}
	res.Body.Close()
	fmt.Fprintln(out, "create index:", res.Status())

	// opensearch-go v2 puts document ids in the path as given: escape them.
	id := "吾輩は猫である"
	res, err = client.Index(*index, strings.NewReader(`{"title":"吾輩は猫である","author":"夏目漱石"}`),
		client.Index.WithDocumentID(url.PathEscape(id)), client.Index.WithRefresh("true"))
	if err != nil {
		return err
	}
	res.Body.Close()
	fmt.Fprintln(out, "index one document:", res.Status())

	bi, err := opensearchutil.NewBulkIndexer(opensearchutil.BulkIndexerConfig{Client: client, Index: *index, NumWorkers: 2, FlushBytes: 4096})
	if err != nil {
		return err
	}
	for i := 1; i <= 100; i++ {
		doc := fmt.Sprintf(`{"title":"book %d","author":"author %d"}`, i, i%7)
		if err := bi.Add(ctx, opensearchutil.BulkIndexerItem{Action: "index", DocumentID: fmt.Sprint(i), Body: strings.NewReader(doc)}); err != nil {
			return err
		}
	}
	if err := bi.Close(ctx); err != nil {
		return err
	}
	st := bi.Stats()
	fmt.Fprintf(out, "bulk: %d indexed, %d failed, in %d requests\n", st.NumIndexed, st.NumFailed, st.NumRequests)

	res, err = client.Search(client.Search.WithIndex(*index), client.Search.WithBody(strings.NewReader(`{"query":{"match":{"author":"夏目漱石"}}}`)))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r struct {
		Hits struct {
			Hits []struct {
				ID     string            `json:"_id"`
				Source map[string]string `json:"_source"`
			}
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return err
	}
	for _, h := range r.Hits.Hits {
		fmt.Fprintf(out, "search hit: %s by %s\n", h.Source["title"], h.Source["author"])
	}
	res, err = client.Indices.Delete([]string{*index})
	if err != nil {
		return err
	}
	res.Body.Close()
	fmt.Fprintln(out, "delete index:", res.Status())
	return nil
}
