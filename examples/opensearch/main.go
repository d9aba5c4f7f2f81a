// Command opensearch uses opensearch-go v4 through the signing transport:
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
	"net/http"
	"net/url"
	"os"
	"strings"

	opensearch "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchutil"

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

	// The part to copy: a signing transport, given to opensearch-go v4.
	tr, err := transport.New(opts...)
	if err != nil {
		return err
	}
	client, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{Addresses: []string{*endpoint}, Transport: tr},
	})
	if err != nil {
		return err
	}

	created, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: *index})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "create index:", status(created.Inspect().Response))

	// opensearch-go puts document ids in the path as given: escape them.
	id := "吾輩は猫である"
	indexed, err := client.Index(ctx, opensearchapi.IndexReq{
		Index: *index, DocumentID: url.PathEscape(id),
		Body:   strings.NewReader(`{"title":"吾輩は猫である","author":"夏目漱石"}`),
		Params: opensearchapi.IndexParams{Refresh: "true"},
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "index one document:", status(indexed.Inspect().Response))

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

	found, err := client.Search(ctx, &opensearchapi.SearchReq{
		Indices: []string{*index},
		Body:    strings.NewReader(`{"query":{"match":{"author":"夏目漱石"}}}`),
	})
	if err != nil {
		return err
	}
	for _, h := range found.Hits.Hits {
		var src map[string]string
		if err := json.Unmarshal(h.Source, &src); err != nil {
			return err
		}
		fmt.Fprintf(out, "search hit: %s by %s\n", src["title"], src["author"])
	}
	deleted, err := client.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{*index}})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "delete index:", status(deleted.Inspect().Response))
	return nil
}

// status is a response's status line, as "201 Created".
func status(res *opensearch.Response) string {
	return fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
}
