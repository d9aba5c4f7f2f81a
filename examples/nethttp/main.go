// Command nethttp lists indices with a plain http.Client whose Transport
// signs every request: the _cat/indices call that people otherwise make
// with curl --aws-sigv4 after fetching credentials by hand.
//
//	go run ./examples/nethttp -endpoint https://search-mydomain-abc.eu-west-1.es.amazonaws.com
//
// Without -endpoint it runs offline against a local verifying endpoint.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("nethttp", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "domain or collection URL; empty runs offline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without -endpoint: a local verifying endpoint and demo keys.
	opts, stop, err := demo.Target(endpoint)
	if err != nil {
		return err
	}
	defer stop()

	// The part to copy: an http.Client whose Transport signs.
	tr, err := transport.New(opts...)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: tr}

	if strings.HasPrefix(*endpoint, "http://127.0.0.1") { // give the offline stand-in an index to list
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, *endpoint+"/logs-2026.11.22", nil)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *endpoint+"/_cat/indices?v", nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return transport.Diagnose(res)
	}
	_, err = io.Copy(out, res.Body)
	return err
}
