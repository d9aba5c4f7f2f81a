package region

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestResolveOrder checks each place wins over every later one, and that
// Lookup is told every place looked at before it.
func TestResolveOrder(t *testing.T) {
	env := map[string]string{}
	var gotTried []string
	lookups := 0
	p := Places{
		Explicit: "eu-west-1",
		Endpoint: "search-x.us-east-2.es.amazonaws.com",
		ParseHost: func(e string) (string, bool) {
			if strings.HasSuffix(e, ".es.amazonaws.com") {
				return "us-east-2", true
			}
			return "", false
		},
		ShowEndpoint: func(e string) string { return "<" + e + ">" },
		Getenv:       func(v string) string { return env[v] },
		Lookup: func(_ context.Context, tried []string) (string, string, error) {
			lookups++
			gotTried = tried
			return "ap-south-1", "shared config", nil
		},
	}
	env["AWS_REGION"], env["AWS_DEFAULT_REGION"] = "ca-central-1", "sa-east-1"
	steps := []struct {
		name, from string
		src        Source
		next       func()
	}{
		{"eu-west-1", "option", Explicit, func() { p.Explicit = "" }},
		{"us-east-2", "endpoint", Host, func() { p.Endpoint = "localhost:9200" }},
		{"ca-central-1", "AWS_REGION", Env, func() { delete(env, "AWS_REGION") }},
		{"sa-east-1", "AWS_DEFAULT_REGION", Env, func() { delete(env, "AWS_DEFAULT_REGION") }},
		{"ap-south-1", "shared config", Lookup, func() {}},
	}
	for _, s := range steps {
		name, src, from, err := Resolve(context.Background(), p)
		if err != nil || name != s.name || src != s.src || from != s.from {
			t.Fatalf("Resolve = %q, %v, %q, %v; want %q, %v, %q", name, src, from, err, s.name, s.src, s.from)
		}
		if s.src != Lookup && lookups != 0 {
			t.Fatalf("Lookup called although %s gave a region", s.from)
		}
		s.next()
	}
	want := []string{"endpoint <localhost:9200>: not an Amazon OpenSearch Service host name", "AWS_REGION: not set", "AWS_DEFAULT_REGION: not set"}
	if !slices.Equal(gotTried, want) {
		t.Errorf("Lookup told %q, want %q", gotTried, want)
	}
	p.Endpoint = ""
	boom := errors.New("boom")
	p.Lookup = func(_ context.Context, tried []string) (string, string, error) {
		gotTried = tried
		return "", "", boom
	}
	if _, _, _, err := Resolve(context.Background(), p); err != boom {
		t.Errorf("Resolve error = %v, want Lookup's", err)
	}
	if gotTried[0] != "endpoint: none given" {
		t.Errorf("Lookup told %q first, want the missing endpoint", gotTried[0])
	}
}
