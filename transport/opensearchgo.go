package transport

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// opensearch-go v4's signer.Signer, which opensearch.Config.Signer takes;
// v2's is the first method alone.
var _ interface {
	SignRequest(*http.Request) error
	OverrideSigningPort(uint16)
} = (*Transport)(nil)

// OverrideSigningPort sets the port signed into the Host header (and sent
// in it) in place of the port of the request's host, as opensearch-go
// v4's own AWS signers do: for a tunnel or port forward whose local port
// differs from the domain's, such as https://search-x.es.amazonaws.com:9200
// forwarded to the domain's 443, with OverrideSigningPort(443). The host
// name stays the request's (its Host, else its URL's); a default port (443
// for https, 80 for http) is then dropped, as for any request. Port 0
// restores the request's own port. The SigningHost option, when set, names
// the whole host signed and sent, port included, and this setting does not
// change it. OverrideSigningPort is safe to call while requests are in
// flight; each request uses the value current when it is signed. It gives
// Transport the shape of opensearch-go v4's signer.Signer, so that
// opensearch.Config{Signer: tr} compiles with v4 as with v2.
func (t *Transport) OverrideSigningPort(port uint16) { t.signingPort.Store(uint32(port)) }

// applySigningPort puts the OverrideSigningPort port into r's Host, unless
// the SigningHost option names the host. r is the transport's own copy, or
// the request SignRequest signs in place.
func (t *Transport) applySigningPort(r *http.Request) {
	port := t.signingPort.Load()
	if port == 0 || t.host != "" {
		return
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	r.Host = net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
}
