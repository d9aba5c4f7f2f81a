package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
)

// testCA issues certificates for the listener-security test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sigv4 test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate and key in PEM for a server (with the
// loopback address) or a client.
func (ca *testCA) issue(t *testing.T, server bool) (certPEM, keyPEM []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "sigv4 test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestProxyClientCertificates: with TLS and --client-ca the proxy may
// listen beyond loopback; a client without a certificate from that CA is
// refused in the handshake, one with it gets through.
func TestProxyClientCertificates(t *testing.T) {
	e := start(t)
	ca := newTestCA(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	scert, skey := ca.issue(t, true)
	ccert, ckey := ca.issue(t, false)
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "proxy", "--listen", "0.0.0.0:"+port, "--region", testRegion,
		"--tls-cert", write("server.pem", scert), "--tls-key", write("server.key", skey), "--client-ca", write("ca.pem", ca.pem), e.URL)
	cmd.Env = toolEnvList(t)
	logs := &testenv.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	pair, _ := tls.X509KeyPair(ccert, ckey)
	with := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	without := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	url := "https://127.0.0.1:" + port
	var res *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err = with.Get(url + "/"); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("with a client certificate: %v %v\n%s", res, err, logs)
	}
	res.Body.Close()
	if _, err := without.Get(url + "/"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without a client certificate: err = %v, want the handshake refused", err)
	}
	if e.Verifier.Accepted() != 1 {
		t.Errorf("upstream accepted %d", e.Verifier.Accepted())
	}
}

// TestProxyUpstreamCertificates: an upstream whose certificate a private CA
// issued (an SSH tunnel to a VPC domain, with --signing-host) is refused
// with the certificate error by default, trusted with --cacert, and
// accepted unverified with --insecure, which logs a warning. Before the
// fix the proxy had no way to name a CA or accept the tunnel's
// certificate.
func TestProxyUpstreamCertificates(t *testing.T) {
	up, v, caFile := tlsUpstream(t, "{}")
	const domain = "vpc-logs-abc.ap-northeast-1.es.amazonaws.com"
	for _, c := range []struct {
		flags   []string
		status  int
		warning bool
	}{
		{nil, http.StatusBadGateway, false},
		{[]string{"--cacert", caFile}, http.StatusOK, false},
		{[]string{"--insecure"}, http.StatusOK, true},
	} {
		url, logs := startProxy(t, append(append([]string{"--region", testRegion, "--signing-host", domain}, c.flags...), up.URL)...)
		res, err := http.Get(url + "/_cat/indices")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || (c.status == 502 && !strings.Contains(string(b), "certificate")) {
			t.Errorf("%q: %d %s, want %d", c.flags, res.StatusCode, b, c.status)
		}
		if warned := strings.Contains(logs.String(), "the upstream's certificate is not verified"); warned != c.warning {
			t.Errorf("%q: warning logged %v, want %v\n%s", c.flags, warned, c.warning, logs)
		}
	}
	if v.Accepted() != 2 {
		t.Errorf("upstream accepted %d, rejected %d; want 2", v.Accepted(), v.Rejected())
	}
}

// TestRequestCACert: the curl-like command trusts a private CA with
// --cacert, as curl does, and refuses the server's certificate without it.
func TestRequestCACert(t *testing.T) {
	up, _, caFile := tlsUpstream(t, `{"ok":1}`)
	if code, out, errs := tool(t, testSecret, "", "--region", testRegion, "--cacert", caFile, up.URL+"/"); code != 0 || out != `{"ok":1}` {
		t.Errorf("with --cacert: exit %d, %q %q", code, out, errs)
	}
	if code, _, errs := tool(t, testSecret, "", "--region", testRegion, up.URL+"/"); code == 0 || !strings.Contains(errs, "certificate") {
		t.Errorf("without --cacert: exit %d, %q", code, errs)
	}
	if code, _, errs := tool(t, testSecret, "", "--region", testRegion, "--cacert", filepath.Join(t.TempDir(), "none.pem"), up.URL+"/"); code == 0 || !strings.Contains(errs, "--cacert") {
		t.Errorf("a missing --cacert file: exit %d, %q", code, errs)
	}
}

// tlsUpstream starts a verifying endpoint that answers body, over TLS with
// a certificate of a test CA, and writes that CA's certificate to the file
// it returns, beside the server and its verifier. The server is closed when
// the test ends.
func tlsUpstream(t *testing.T, body string) (*httptest.Server, *sigv4test.Handler, string) {
	t.Helper()
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{testCredentials()}
		o.Region, o.Service = testRegion, "es"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
	})
	if err != nil {
		t.Fatal(err)
	}
	ca := newTestCA(t)
	scert, skey := ca.issue(t, true)
	pair, _ := tls.X509KeyPair(scert, skey)
	up := httptest.NewUnstartedServer(v)
	up.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	up.StartTLS()
	t.Cleanup(up.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.pem, 0o600)
	return up, v, caFile
}
