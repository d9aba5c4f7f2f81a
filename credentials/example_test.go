package credentials_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
)

func ExampleNewStatic() {
	p := credentials.NewStatic("AKIDEXAMPLE", "secret", "")
	creds, err := p.Retrieve(context.Background())
	fmt.Println(creds.Source, creds.AccessKeyID, err)
	fmt.Println(p) // never prints the secret
	// Output:
	// StaticCredentials AKIDEXAMPLE <nil>
	// credentials.StaticProvider(*******MPLE)
}

func ExampleNewEnv() {
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDLAMBDA")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	_, err := credentials.NewEnv().Retrieve(context.Background())
	fmt.Println(err)

	os.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	os.Setenv("AWS_SESSION_TOKEN", "token")
	creds, _ := credentials.NewEnv().Retrieve(context.Background())
	fmt.Println(creds.Source, creds.AccessKeyID, creds.SessionToken != "")
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	os.Unsetenv("AWS_SESSION_TOKEN")
	// Output:
	// sigv4/credentials: EnvConfigCredentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or neither
	// EnvConfigCredentials AKIDLAMBDA true
}

// The container endpoint, as EKS Pod Identity serves it: a full URI and a
// token file. Here a local server stands in for the agent.
func ExampleNewContainer() {
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "pod-identity-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"AccessKeyId":"ASIAPODIDENTITY","SecretAccessKey":"secret","Token":"token","Expiration":%q}`,
			time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}))
	defer agent.Close()
	tokenFile, _ := os.CreateTemp("", "token")
	tokenFile.WriteString("pod-identity-token")
	tokenFile.Close()
	defer os.Remove(tokenFile.Name())
	os.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials")
	os.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.Name())
	defer os.Unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	defer os.Unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")

	creds, err := credentials.NewContainer().Retrieve(context.Background())
	fmt.Println(creds.Source, creds.AccessKeyID, creds.CanExpire, err)
	// Output:
	// CredentialsEndpointProvider ASIAPODIDENTITY true <nil>
}

// The instance role, from a local stand-in for the metadata service reached
// through the SDK's own endpoint setting.
func ExampleNewIMDS() {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/latest/api/token":
			w.Write([]byte("session-token"))
		case "/latest/meta-data/iam/security-credentials/":
			w.Write([]byte("my-role"))
		case "/latest/meta-data/iam/security-credentials/my-role":
			fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"ASIAINSTANCE","SecretAccessKey":"s","Token":"t","Expiration":%q}`,
				time.Now().Add(6*time.Hour).UTC().Format(time.RFC3339))
		default:
			http.NotFound(w, r)
		}
	}))
	defer imds.Close()
	old := os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
	os.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	defer os.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", old)

	creds, err := credentials.NewIMDS().Retrieve(context.Background())
	fmt.Println(creds.Source, creds.AccessKeyID, err)
	// Output:
	// EC2RoleProvider ASIAINSTANCE <nil>
}

// Outside AWS with nothing configured, the chain's error names every
// source it tried and why each gave nothing.
func ExampleNewChain() {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	defer os.Unsetenv("AWS_EC2_METADATA_DISABLED")
	chain := credentials.NewChain(credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS())
	fmt.Println(chain)
	_, err := chain.Retrieve(context.Background())
	fmt.Println(err)
	// Output:
	// credentials.Chain(EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)
	// sigv4/credentials: no credentials found; tried, in order:
	//   - EnvConfigCredentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set
	//   - CredentialsEndpointProvider: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set
	//   - EC2RoleProvider: disabled by AWS_EC2_METADATA_DISABLED=true
}

// Wrap a provider in a Cache: it refreshes in the background ahead of
// expiry and serves the current credentials meanwhile.
func ExampleNewCache() {
	cache := credentials.NewCache(credentials.NewStatic("AKIDEXAMPLE", "secret", ""))
	for i := 0; i < 3; i++ {
		creds, _ := cache.Retrieve(context.Background())
		fmt.Println(creds.AccessKeyID)
	}
	fmt.Println(cache)
	// Output:
	// AKIDEXAMPLE
	// AKIDEXAMPLE
	// AKIDEXAMPLE
	// credentials.Cache(StaticCredentials)
}

// The SDK's default chain finds a profile's keys, as AWS_PROFILE names it.
func ExampleNewDefaultChain() {
	f, _ := os.CreateTemp("", "credentials")
	f.WriteString("[reporting]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n")
	f.Close()
	defer os.Remove(f.Name())
	old := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", f.Name())
	os.Setenv("AWS_PROFILE", "reporting")
	defer os.Setenv("AWS_SHARED_CREDENTIALS_FILE", old)
	defer os.Unsetenv("AWS_PROFILE")

	creds, err := credentials.NewDefaultChain().Retrieve(context.Background())
	fmt.Println(creds.AccessKeyID, err)
	// Output:
	// AKIDPROFILE <nil>
}

func ExampleParseEndpoint() {
	for _, u := range []string{
		"https://search-logs-abc123.ap-northeast-1.es.amazonaws.com",
		"https://a1b2c3.us-east-1.aoss.amazonaws.com",
		"http://localhost:9200",
	} {
		e, ok := credentials.ParseEndpoint(u)
		fmt.Println(e.Region, e.Service, ok)
	}
	// Output:
	// ap-northeast-1 es true
	// us-east-1 aoss true
	//   false
}

func ExampleResolveRegion() {
	r, err := credentials.ResolveRegion(context.Background(), func(o *credentials.RegionOptions) {
		o.Endpoint = "https://search-logs-abc123.eu-west-1.es.amazonaws.com"
	})
	fmt.Println(r.Name, r.Source, err)
	// Output:
	// eu-west-1 endpoint <nil>
}
