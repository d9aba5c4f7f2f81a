// Command lambda is an AWS Lambda function that indexes the event it
// receives into Amazon OpenSearch Service. Lambda sets AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION for the
// function's role, so transport.New needs only the endpoint, whose host
// name decides the region: the function's own AWS_REGION may differ from
// the domain's, and AWS refuses a signature for any region but the
// domain's.
//
// Environment: OPENSEARCH_ENDPOINT (the domain URL) and, optionally,
// OPENSEARCH_INDEX (default "lambda-events").
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// Handler indexes events. Create it once, outside the handler function, so
// that warm invocations reuse its connections and cached credentials.
type Handler struct {
	client   *http.Client
	endpoint string
	index    string
}

// Result is what the function returns.
type Result struct {
	Index  string `json:"index"`
	ID     string `json:"id"`
	Result string `json:"result"`
}

// NewHandler reads the environment and builds the signing client.
func NewHandler() (*Handler, error) {
	endpoint := os.Getenv("OPENSEARCH_ENDPOINT")
	if endpoint == "" {
		return nil, errors.New("set OPENSEARCH_ENDPOINT to the domain's URL")
	}
	index := os.Getenv("OPENSEARCH_INDEX")
	if index == "" {
		index = "lambda-events"
	}
	tr, err := transport.New(func(o *transport.Options) { o.Endpoint = endpoint })
	if err != nil {
		return nil, err
	}
	return &Handler{client: &http.Client{Transport: tr}, endpoint: endpoint, index: index}, nil
}

// Handle indexes one event as a document.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (Result, error) {
	if !json.Valid(event) {
		return Result{}, errors.New("the event is not JSON")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint+"/"+url.PathEscape(h.index)+"/_doc", bytes.NewReader(event))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := h.client.Do(req)
	if err != nil {
		return Result{}, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusForbidden {
		return Result{}, transport.Diagnose(res) // names the cause: policy, role mapping, clock...
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return Result{}, fmt.Errorf("indexing failed: %s: %s", res.Status, body)
	}
	var r struct {
		Index  string `json:"_index"`
		ID     string `json:"_id"`
		Result string `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Result{}, err
	}
	return Result{Index: r.Index, ID: r.ID, Result: r.Result}, nil
}

func main() {
	h, err := NewHandler()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
