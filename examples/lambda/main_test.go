package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// lambdaEnv sets what Lambda sets for a function, pointed at the local
// verifying endpoint.
func lambdaEnv(t *testing.T, e *demo.Endpoint, secret string) {
	t.Setenv("AWS_ACCESS_KEY_ID", demo.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", demo.SessionToken)
	t.Setenv("AWS_REGION", demo.Region)
	t.Setenv("OPENSEARCH_ENDPOINT", e.URL)
	t.Setenv("OPENSEARCH_INDEX", "orders")
}

func TestHandlerIndexesEvent(t *testing.T) {
	e, err := demo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	lambdaEnv(t, e, demo.SecretAccessKey)
	h, err := NewHandler()
	if err != nil {
		t.Fatal(err)
	}
	event := json.RawMessage(`{"order":"A-1","item":"抹茶","qty":2}`)
	res, err := h.Handle(context.Background(), event)
	if err != nil || res.Index != "orders" || res.Result != "created" || res.ID == "" {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	if doc, ok := e.Store.Doc("orders", res.ID); !ok || string(doc) != string(event) {
		t.Errorf("stored %s", doc)
	}
	if _, err := h.Handle(context.Background(), json.RawMessage(`not json`)); err == nil {
		t.Error("a non-JSON event was accepted")
	}
}

func TestHandlerExplainsRejection(t *testing.T) {
	e, _ := demo.Start("")
	defer e.Close()
	lambdaEnv(t, e, "a-wrong-secret")
	h, _ := NewHandler()
	_, err := h.Handle(context.Background(), json.RawMessage(`{}`))
	var d *transport.Diagnosis
	if !errors.As(err, &d) || d.Cause != transport.CauseSignatureMismatch || strings.Contains(err.Error(), "a-wrong-secret") {
		t.Errorf("err = %v", err)
	}
}

func TestNewHandlerNeedsEndpoint(t *testing.T) {
	t.Setenv("OPENSEARCH_ENDPOINT", "")
	if _, err := NewHandler(); err == nil || !strings.Contains(err.Error(), "OPENSEARCH_ENDPOINT") {
		t.Errorf("err = %v", err)
	}
}
