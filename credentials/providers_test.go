package credentials

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestStatic(t *testing.T) {
	c, err := NewStatic("AKIDEXAMPLE", sentinelSecret, sentinelToken).Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDEXAMPLE" || c.SecretAccessKey != sentinelSecret || c.SessionToken != sentinelToken || c.Source != SourceStatic || c.CanExpire {
		t.Fatalf("Static = %+v, %v", c, err)
	}
	for _, tc := range []struct {
		id, secret, says string
		notConfigured    bool
	}{
		{"", "", "no access key id", true},
		{"AKID", "", "secret access key is empty", false},
		{"", sentinelSecret, "access key id is empty", false},
	} {
		_, err := NewStatic(tc.id, tc.secret, "").Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.says) || errors.Is(err, ErrNotConfigured) != tc.notConfigured {
			t.Errorf("NewStatic(%q, secret %v): err = %v", tc.id, tc.secret != "", err)
		}
		noSecrets(t, "error", fmt.Sprint(err))
	}
	p := NewStatic("AKIDEXAMPLE", sentinelSecret, sentinelToken)
	noSecrets(t, "%v of StaticProvider", fmt.Sprintf("%v %+v %#v %s", p, p, p, p))
}

func TestEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", sentinelSecret)
	t.Setenv("AWS_SESSION_TOKEN", sentinelToken)
	c, err := NewEnv().Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDENV" || c.SessionToken != sentinelToken || c.Source != SourceEnv {
		t.Fatalf("Env = %+v, %v", c, err)
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	_, err = NewEnv().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") || errors.Is(err, ErrNotConfigured) {
		t.Errorf("key without secret: err = %v", err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", sentinelSecret)
	_, err = NewEnv().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") {
		t.Errorf("secret without key: err = %v", err)
	}
	noSecrets(t, "error", err.Error())

	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err = NewEnv().Retrieve(context.Background()); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("nothing set: err = %v, want ErrNotConfigured", err)
	}
}

func TestContainerFullURIWithTokenFileReReadAtEachRetrieval(t *testing.T) {
	f := newFakeContainer(t, "first-token")
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("first-token\n"), 0o600)
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile)
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set")

	p := NewContainer()
	c, err := p.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "ASIACONTAINEREXAMPL" || c.SecretAccessKey != sentinelSecret || !c.CanExpire || c.Source != SourceContainer {
		t.Fatalf("first retrieval = %+v, %v", c, err)
	}
	// EKS Pod Identity rotates the token file: the next retrieval must send
	// the new token.
	os.WriteFile(tokenFile, []byte("second-token"), 0o600)
	f.Set(func(f *fakeContainer) { f.WantAuth = "second-token" })
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if got := f.Auth(); len(got) != 2 || got[0] != "first-token" || got[1] != "second-token" {
		t.Errorf("Authorization headers sent = %q", got)
	}
}

func TestContainerTokenFromVariable(t *testing.T) {
	newFakeContainer(t, "Bearer static")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer static")
	if _, err := NewContainer().Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestContainerFaults(t *testing.T) {
	cases := []struct {
		name string
		set  func(*fakeContainer)
	}{
		{"401", func(f *fakeContainer) { f.WantAuth = "something-else" }},
		{"500", func(f *fakeContainer) { f.Status = 500 }},
		{"bad JSON", func(f *fakeContainer) {
			f.Body = `{"AccessKeyId":"ASIA","SecretAccessKey":"` + sentinelSecret + `","Token":"` + sentinelToken + `",`
		}},
		{"slow", func(f *fakeContainer) { f.Hang = 10 * time.Second }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeContainer(t, "")
			f.Set(c.set)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			_, err := NewContainer().Retrieve(ctx)
			var pe *ProviderError
			if !errors.As(err, &pe) || pe.Source != SourceContainer || errors.Is(err, ErrNotConfigured) {
				t.Fatalf("err = %v, want a container ProviderError", err)
			}
			if !strings.Contains(err.Error(), "container endpoint http://127.0.0.1") {
				t.Errorf("error does not name the endpoint: %v", err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			noSecrets(t, "error", err.Error())
			noSecrets(t, "%+v of error", fmt.Sprintf("%+v %#v", err, err))
		})
	}
}

func TestContainerEndpointRules(t *testing.T) {
	cases := []struct {
		rel, full string
		want      string // "" means an error
		says      string
	}{
		{rel: "/v2/credentials/abc", want: "http://169.254.170.2/v2/credentials/abc"},
		{rel: "v2/credentials/abc", want: "http://169.254.170.2/v2/credentials/abc"},
		{full: "http://127.0.0.1:8080/creds", want: "http://127.0.0.1:8080/creds"},
		{full: "http://127.5.0.1/creds", want: "http://127.5.0.1/creds"},
		{full: "http://[::1]:80/creds", want: "http://[::1]:80/creds"},
		{full: "http://localhost/creds", want: "http://localhost/creds"},
		{full: "http://169.254.170.2/creds", want: "http://169.254.170.2/creds"},
		{full: "http://169.254.170.23/v1/credentials", want: "http://169.254.170.23/v1/credentials"},
		{full: "http://[fd00:ec2::23]/v1/credentials", want: "http://[fd00:ec2::23]/v1/credentials"},
		{full: "https://creds.example.com/x", want: "https://creds.example.com/x"},
		{full: "http://creds.example.com/x", says: "only loopback"},
		{full: "http://10.0.0.1/x", says: "only loopback"},
		{full: "http://169.254.169.254/x", says: "only loopback"},
		{full: "ftp://127.0.0.1/x", says: "not an http or https URL"},
		{full: "::nonsense", says: "not an http or https URL"},
		{says: "not set"},
	}
	for _, c := range cases {
		t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", c.rel)
		t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", c.full)
		got, err := containerEndpoint()
		if c.want != "" {
			if err != nil || got != c.want {
				t.Errorf("rel %q full %q: got %q, %v; want %q", c.rel, c.full, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("rel %q full %q: err = %v, want one saying %q", c.rel, c.full, err, c.says)
		}
	}
}

func TestIMDSv2(t *testing.T) {
	f := newFakeIMDS(t)
	c, err := NewIMDS().Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "ASIAIMDSEXAMPLE0001" || c.SessionToken != sentinelToken || !c.CanExpire || c.Source != SourceIMDS {
		t.Fatalf("IMDS = %+v, %v", c, err)
	}
	if f.Tokens.Load() == 0 || !f.LastTokenOK.Load() {
		t.Errorf("IMDSv2 token not used: %d tokens issued", f.Tokens.Load())
	}
}

func TestIMDSv1Fallback(t *testing.T) {
	f := newFakeIMDS(t)
	f.Set(func(f *fakeIMDS) { f.NoTokenAPI = true })
	if c, err := NewIMDS().Retrieve(context.Background()); err != nil || c.AccessKeyID != "ASIAIMDSEXAMPLE0001" {
		t.Fatalf("IMDSv1 fallback: %+v, %v", c, err)
	}
	t.Setenv("AWS_EC2_METADATA_V1_DISABLED", "true")
	if _, err := NewIMDS().Retrieve(context.Background()); err == nil {
		t.Fatal("IMDSv1 used although AWS_EC2_METADATA_V1_DISABLED=true")
	}
}

func TestIMDSDisabled(t *testing.T) {
	f := newFakeIMDS(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, err := NewIMDS().Retrieve(context.Background())
	if !errors.Is(err, ErrNotConfigured) || !strings.Contains(err.Error(), "AWS_EC2_METADATA_DISABLED") {
		t.Errorf("err = %v", err)
	}
	if f.Tokens.Load() != 0 {
		t.Error("the metadata service was contacted although disabled")
	}
}

func TestIMDSFaults(t *testing.T) {
	cases := []struct {
		name string
		set  func(*fakeIMDS)
		says string
	}{
		{"500", func(f *fakeIMDS) { f.Status = 500 }, "cannot get the instance role"},
		{"hang past the timeout", func(f *fakeIMDS) { f.Hang = 3 * time.Second }, "hop limit"},
		{"malformed JSON", func(f *fakeIMDS) { f.Body = `{"Code":"Success","SecretAccessKey":"` + sentinelSecret + `"` }, "cannot get the instance role"},
		{"no role", func(f *fakeIMDS) { f.Role = "" }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeIMDS(t)
			f.Set(c.set)
			start := time.Now()
			_, err := NewIMDS().Retrieve(context.Background())
			took := time.Since(start)
			var pe *ProviderError
			if !errors.As(err, &pe) || pe.Source != SourceIMDS {
				t.Fatalf("err = %v, want an IMDS ProviderError", err)
			}
			if c.says != "" && !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
			if took > 2*time.Second {
				t.Errorf("took %v; the IMDS timeouts should end it within about a second", took)
			}
			noSecrets(t, "error", fmt.Sprintf("%v %+v", err, err))
		})
	}
}

func TestIMDSStaleTokenRecoversOnNextRetrieval(t *testing.T) {
	f := newFakeIMDS(t)
	f.Set(func(f *fakeIMDS) { f.Reject401 = 1 })
	_, err := NewIMDS().Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "rejected the IMDSv2 token") {
		t.Fatalf("first retrieval err = %v, want the 401 named", err)
	}
	if c, err := NewIMDS().Retrieve(context.Background()); err != nil || c.AccessKeyID == "" {
		t.Fatalf("second retrieval = %v, want a fresh token to work", err)
	}
}

// basicChain is static keys (when given) > environment > container > IMDS.
func basicChain(key, secret, token string) *Chain {
	var ps []aws.CredentialsProvider
	if key != "" || secret != "" {
		ps = append(ps, NewStatic(key, secret, token))
	}
	return NewChain(append(ps, NewEnv(), NewContainer(), NewIMDS())...)
}

func TestChainOrderAndErrors(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	ctx := context.Background()

	// Static first when given.
	c, err := basicChain("AKIDSTATIC", sentinelSecret, "").Retrieve(ctx)
	if err != nil || c.Source != SourceStatic {
		t.Fatalf("static: %+v %v", c, err)
	}
	// Environment next.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", sentinelSecret)
	newFakeContainer(t, "")
	if c, err = basicChain("", "", "").Retrieve(ctx); err != nil || c.Source != SourceEnv {
		t.Fatalf("env: %+v %v", c, err)
	}
	// Then the container endpoint.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if c, err = basicChain("", "", "").Retrieve(ctx); err != nil || c.Source != SourceContainer {
		t.Fatalf("container: %+v %v", c, err)
	}
	// A misconfigured source stops the chain, naming it.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	_, err = basicChain("", "", "").Retrieve(ctx)
	var ce *ChainError
	if !errors.As(err, &ce) || len(ce.Attempts) != 1 || ce.Attempts[0].Source != SourceEnv {
		t.Fatalf("misconfigured env: err = %v", err)
	}
	// Nothing configured: every source is named with its reason.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	_, err = basicChain("", "", "").Retrieve(ctx)
	if !errors.As(err, &ce) || len(ce.Attempts) != 3 || !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("nothing configured: err = %v", err)
	}
	for _, want := range []string{"EnvConfigCredentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", "CredentialsEndpointProvider: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set", "EC2RoleProvider: disabled by AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("chain error does not say %q:\n%v", want, err)
		}
	}
	if s := fmt.Sprint(basicChain("AKID", sentinelSecret, sentinelToken)); s != "credentials.Chain(StaticCredentials > EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)" {
		t.Errorf("String = %q", s)
	}
}

// TestChainTakesAnySDKProvider: any aws.CredentialsProvider goes in a
// chain; that interface is the plug.
func TestChainTakesAnySDKProvider(t *testing.T) {
	c, err := NewChain(NewEnv(), aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDFUNC", SecretAccessKey: "x"}, nil
	})).Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDFUNC" || c.Source != "aws.CredentialsProviderFunc" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

// TestDefaultChainFailsFastOutsideAWS: with no environment, no profile and
// nothing listening on the metadata address, both default chains fail in
// under a second.
func TestDefaultChainFailsFastOutsideAWS(t *testing.T) {
	for _, p := range []aws.CredentialsProvider{basicChain("", "", ""), NewDefaultChain()} {
		start := time.Now()
		_, err := p.Retrieve(context.Background())
		took := time.Since(start)
		if err == nil {
			t.Fatalf("%v found credentials outside AWS", p)
		}
		if took >= time.Second {
			t.Errorf("%v took %v to fail, want under 1s", p, took)
		}
		t.Logf("%s failed in %v: %v", sourceName(p), took.Round(time.Millisecond), err)
	}
}

// TestDefaultChainHangingIMDS: with a metadata address that accepts
// connections and never answers, the chains give up after the SDK's
// response timeouts (token request, then the IMDSv1 attempt).
func TestDefaultChainHangingIMDS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+l.Addr().String())
	for _, p := range []aws.CredentialsProvider{basicChain("", "", ""), NewDefaultChain()} {
		start := time.Now()
		_, err := p.Retrieve(context.Background())
		took := time.Since(start)
		if err == nil || took > 2*time.Second {
			t.Errorf("%v: err %v after %v, want an error within 2s", p, err, took)
		}
		t.Logf("%s, metadata address hanging: failed in %v", sourceName(p), took.Round(time.Millisecond))
	}
}

// TestDefaultRefreshGetsNewCredentials: behind a Cache, a refresh of the
// SDK default chain reaches the source again instead of getting the SDK's
// cached copy.
func TestDefaultRefreshGetsNewCredentials(t *testing.T) {
	f := newFakeContainer(t, "")
	p := NewDefaultChain()
	for i := 0; i < 2; i++ {
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.Calls.Load(); n != 2 {
		t.Errorf("container endpoint called %d times for 2 retrievals, want 2", n)
	}
}

func TestDefaultUsesSDKChain(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "credentials")
	os.WriteFile(cfg, []byte("[ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = "+sentinelSecret+"\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cfg)
	t.Setenv("AWS_PROFILE", "ci")
	c, err := NewDefaultChain().Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDPROFILE" {
		t.Fatalf("Default = %+v, %v", c, err)
	}
}

// TestCredentialEndpointsAreBounded: a credential endpoint that answers
// with megabytes fails the retrieval past 64 KiB instead of being read
// whole, and an IMDS that trickles its answer is given up after the IMDS
// bound even under a Cache's long fetch deadline.
func TestCredentialEndpointsAreBounded(t *testing.T) {
	huge := `{"AccessKeyId":"ASIA","SecretAccessKey":"` + strings.Repeat("x", 8<<20) + `"}`
	t.Run("container", func(t *testing.T) {
		f := newFakeContainer(t, "")
		f.Set(func(f *fakeContainer) { f.Body = huge })
		_, err := NewContainer().Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
			t.Fatalf("err = %v, want the size bound", err)
		}
	})
	t.Run("imds", func(t *testing.T) {
		f := newFakeIMDS(t)
		f.Set(func(f *fakeIMDS) { f.Body = huge })
		_, err := NewIMDS().Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
			t.Fatalf("err = %v, want the size bound", err)
		}
	})
	t.Run("imds trickling under a long deadline", func(t *testing.T) {
		f := newFakeIMDS(t)
		f.Set(func(f *fakeIMDS) { f.Trickle = 100 * time.Millisecond })
		ctx, cancel := context.WithTimeout(context.Background(), DefaultFetchTimeout)
		defer cancel()
		start := time.Now()
		_, err := NewIMDS().Retrieve(ctx)
		took := time.Since(start)
		t.Logf("a trickling IMDS was given up after %v", took.Round(time.Millisecond))
		if err == nil || took > 7*time.Second {
			t.Fatalf("err = %v after %v; want an error within the 5 s IMDS bound", err, took)
		}
	})
}

// TestContainerRetryHasNoSharedQuota: after an outage that used up the
// SDK's process-wide retry quota, a retrieval still reports the
// endpoint's own failure, not "retry quota exceeded".
func TestContainerRetryHasNoSharedQuota(t *testing.T) {
	f := newFakeContainer(t, "")
	f.Set(func(f *fakeContainer) { f.Status = 500 })
	var wg sync.WaitGroup
	for i := 0; i < 150; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); NewContainer().Retrieve(context.Background()) }()
	}
	wg.Wait()
	_, err := NewContainer().Retrieve(context.Background())
	if err == nil || strings.Contains(err.Error(), "quota") || !strings.Contains(err.Error(), "agent unavailable") {
		t.Fatalf("after an outage: %v; want the endpoint's own answer", err)
	}
}

// endless is a body that never ends, counting what was read of it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.read += int64(len(p))
	return len(p), nil
}
func (e *endless) Close() error { return nil }

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestLimitedClientStopsEndlessBody: an endless answer is read only to the
// bound, then fails, instead of growing the heap without limit.
func TestLimitedClientStopsEndlessBody(t *testing.T) {
	body := &endless{}
	c := limitedClient{doerFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: body}, nil
	})}
	req, _ := http.NewRequest("GET", "http://169.254.170.2/creds", nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	if !errors.Is(err, errResponseTooLarge) || len(got) > maxCredentialsResponse || body.read > maxCredentialsResponse+64<<10 {
		t.Fatalf("read %d bytes (%d from the body), err %v; want the bound", len(got), body.read, err)
	}
	t.Logf("an endless answer: %d bytes read from it, %d handed on, then %v", body.read, len(got), err)
}
