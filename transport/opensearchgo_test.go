package transport_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearchv2 "github.com/opensearch-project/opensearch-go/v2"
	signerv2 "github.com/opensearch-project/opensearch-go/v2/signer"
	opensearchv4 "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	signerv4 "github.com/opensearch-project/opensearch-go/v4/signer"
	"github.com/opensearch-project/opensearch-go/v4/signer/awsv2"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// A *transport.Transport is opensearch-go's Signer, v2's and v4's.
var (
	_ signerv2.Signer = (*transport.Transport)(nil)
	_ signerv4.Signer = (*transport.Transport)(nil)
)

// TestConfigCompilesWithV2AndV4: the Signer and the Transport fields of
// opensearch.Config, v2 and v4, take a *transport.Transport.
func TestConfigCompilesWithV2AndV4(t *testing.T) {
	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic("AKID", "secret", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{"http://127.0.0.1:9200"}
	if _, err := opensearchv2.NewClient(opensearchv2.Config{Addresses: addrs, Signer: tr}); err != nil {
		t.Errorf("v2 Signer: %v", err)
	}
	if _, err := opensearchv2.NewClient(opensearchv2.Config{Addresses: addrs, Transport: tr}); err != nil {
		t.Errorf("v2 Transport: %v", err)
	}
	if _, err := opensearchv4.NewClient(opensearchv4.Config{Addresses: addrs, Signer: tr}); err != nil {
		t.Errorf("v4 Signer: %v", err)
	}
	if _, err := opensearchv4.NewClient(opensearchv4.Config{Addresses: addrs, Transport: tr}); err != nil {
		t.Errorf("v4 Transport: %v", err)
	}
}

// tunnel forwards every connection on a new loopback port to addr, byte
// for byte, as ssh -L or kubectl port-forward do.
func tunnel(t *testing.T, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.(*net.TCPConn).CloseWrite() }()
			go func() { defer wg.Done(); io.Copy(in, out); in.Close(); out.Close() }()
		}
	}()
	return l.Addr().String()
}

// TestOverrideSigningPortThroughATunnel: opensearch-go v4 reaches a
// verifying endpoint through a tunnel on another port. With
// OverrideSigningPort(the endpoint's port), the Host signed and sent is the
// URL's host name with the endpoint's port, as v4's own awsv2 signer makes
// it, and the endpoint, which expects its own host:port, accepts every
// request; without it, the tunnel's port is signed.
func TestOverrideSigningPortThroughATunnel(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDTUNNELTEST000001", SecretAccessKey: "tunnel-secret", SessionToken: "tunnel-token"}
	store := standin.New()
	var mu sync.Mutex
	var hosts []string
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{creds}
		o.Region, o.Service = "eu-west-1", "es"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hosts = append(hosts, r.Host)
			mu.Unlock()
			store.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	want := "127.0.0.1:" + port
	local := "http://" + tunnel(t, srv.Listener.Addr().String())

	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "eu-west-1"
		o.Credentials = credentials.NewStatic(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	})
	if err != nil {
		t.Fatal(err)
	}
	var p uint16
	for _, c := range port {
		p = p*10 + uint16(c-'0')
	}
	tr.OverrideSigningPort(p)

	// v4's own AWS signer, for the Host it signs with the same override.
	ref, err := awsv2.NewSigner(aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })})
	if err != nil {
		t.Fatal(err)
	}
	ref.OverrideSigningPort(p)
	refReq, _ := http.NewRequest(http.MethodGet, local+"/", nil)
	if err := ref.SignRequest(refReq); err != nil {
		t.Fatal(err)
	}
	ours, _ := http.NewRequest(http.MethodGet, local+"/", nil)
	if err := tr.SignRequest(ours); err != nil {
		t.Fatal(err)
	}
	if ours.Host != refReq.Host || ours.Host != want {
		t.Errorf("Host signed: ours %q, awsv2's %q; want %q", ours.Host, refReq.Host, want)
	}

	for _, cfg := range []struct {
		name string
		cfg  opensearchv4.Config
	}{
		{"Signer", opensearchv4.Config{Addresses: []string{local}, Signer: tr}},
		{"Transport", opensearchv4.Config{Addresses: []string{local}, Transport: tr}},
	} {
		client, err := opensearchapi.NewClient(opensearchapi.Config{Client: cfg.cfg})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		index := "tunnel-" + strings.ToLower(cfg.name)
		if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index}); err != nil {
			t.Fatalf("%s: create through the tunnel: %v", cfg.name, err)
		}
		if _, err := client.Index(ctx, opensearchapi.IndexReq{Index: index, DocumentID: "1", Body: strings.NewReader(`{"title":"トンネル"}`)}); err != nil {
			t.Fatalf("%s: index through the tunnel: %v", cfg.name, err)
		}
		if _, ok := store.Doc(index, "1"); !ok {
			t.Errorf("%s: the document did not arrive", cfg.name)
		}
	}
	mu.Lock()
	for _, h := range hosts {
		if h != want {
			t.Errorf("the endpoint got Host %q, want %q", h, want)
		}
	}
	mu.Unlock()
	if v.Rejected() != 0 || v.Accepted() < 4 {
		t.Errorf("accepted %d, rejected %d", v.Accepted(), v.Rejected())
	}

	// Port 0 restores the request's own port: the tunnel's.
	tr.OverrideSigningPort(0)
	back, _ := http.NewRequest(http.MethodGet, local+"/", nil)
	if err := tr.SignRequest(back); err != nil {
		t.Fatal(err)
	}
	if back.Host != strings.TrimPrefix(local, "http://") {
		t.Errorf("after OverrideSigningPort(0), Host %q, want the tunnel's %q", back.Host, strings.TrimPrefix(local, "http://"))
	}
	// A default port is dropped, as for any request.
	tr.OverrideSigningPort(80)
	def, _ := http.NewRequest(http.MethodGet, "http://search-x.eu-west-1.es.amazonaws.com:9200/", nil)
	if err := tr.SignRequest(def); err != nil {
		t.Fatal(err)
	}
	if def.Host != "search-x.eu-west-1.es.amazonaws.com" {
		t.Errorf("OverrideSigningPort(80) on http: Host %q", def.Host)
	}
}
