package proxy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestNewRefusalsTyped: every refusal of New is typed, so that a caller
// (the command) rewords it from its fields, never its text: the upstream
// and PublicURL as *ConfigError naming the option, without a password; a
// Transport option the transport refuses as the transport's *Error, under
// one prefix. Before, the first three were plain errors and the last was
// "sigv4/proxy: sigv4/transport: configure: ...".
func TestNewRefusalsTyped(t *testing.T) {
	for _, c := range []struct {
		upstream string
		opt      func(*proxy.Options)
		option   string
	}{
		{"localhost:9200", nil, proxy.UpstreamOption},
		{"https://admin:hunter2pw@search-a-b.eu-west-1.es.amazonaws.com", nil, proxy.UpstreamOption},
		{"https://search-a-b.eu-west-1.es.amazonaws.com", func(o *proxy.Options) { o.PublicURL = "https://u:hunter2pw@proxy:9200" }, "PublicURL"},
		{"https://search-a-b.eu-west-1.es.amazonaws.com", func(o *proxy.Options) { o.PublicURL = "proxy:9200" }, "PublicURL"},
		// A presigned URL pasted as the upstream: its query holds a token
		// and a signature, which the refusal must not show either.
		{"https://search-a-b.eu-west-1.es.amazonaws.com/?X-Amz-Security-Token=hunter2pw&X-Amz-Signature=hunter2pw", nil, proxy.UpstreamOption},
		{"https://search-a-b.eu-west-1.es.amazonaws.com/%zz?X-Amz-Security-Token=hunter2pw", nil, proxy.UpstreamOption},
	} {
		var opts []func(*proxy.Options)
		if c.opt != nil {
			opts = append(opts, c.opt)
		}
		_, err := proxy.New(c.upstream, opts...)
		var ce *proxy.ConfigError
		if !errors.As(err, &ce) || ce.Option != c.option || ce.Problem == "" {
			t.Errorf("New(%q): %v; want a *ConfigError for %s", c.upstream, err, c.option)
			continue
		}
		if strings.Contains(err.Error(), "hunter2pw") || strings.Contains(ce.Value, "hunter2pw") {
			t.Errorf("New(%q): the error shows the password: %q", c.upstream, err)
		}
		if !strings.HasPrefix(err.Error(), "sigv4/proxy: "+c.option+" ") {
			t.Errorf("New(%q): %q; want it to start with the prefix and the option", c.upstream, err)
		}
	}
	_, err := proxy.New("https://search-a-b.eu-west-1.es.amazonaws.com", func(o *proxy.Options) {
		o.Transport = func(to *transport.Options) { to.Region = "us-east-1" }
	})
	var te *transport.Error
	var se *transport.ScopeError
	if !errors.As(err, &te) || !errors.As(err, &se) || se.Option != "Region" {
		t.Fatalf("a contradicting Region: %v; want a *transport.Error over a *transport.ScopeError", err)
	}
	if n := strings.Count(err.Error(), "sigv4/"); n != 1 {
		t.Errorf("%q has %d library prefixes; want one", err, n)
	}
}
