package transport_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestConfigErrorTyped: New's refusals of an option are a *ConfigError
// naming the option, so that a caller (the command) names its own flag from
// the field, never by searching the text. Before, they were plain errors.
func TestConfigErrorTyped(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	for _, c := range []struct {
		opt    func(*transport.Options)
		option string
	}{
		{func(o *transport.Options) { o.AllowedHosts = []string{"search-a:443"} }, "AllowedHosts"},
		{func(o *transport.Options) { o.Endpoint = "https://u:hunter2pw@/" }, "Endpoint"},
		{func(o *transport.Options) { o.Endpoint = "http://127.0.0.1:9200" }, "Region"},
	} {
		_, err := transport.New(c.opt)
		var ce *transport.ConfigError
		if !errors.As(err, &ce) || ce.Option != c.option || ce.Problem == "" {
			t.Errorf("%s: %v; want a *ConfigError for it", c.option, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("%s: the error shows the password: %q", c.option, err)
		}
	}
}
