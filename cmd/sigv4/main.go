// Command sigv4 is curl for IAM-protected Amazon OpenSearch Service: it
// signs each request with AWS Signature Version 4, with credentials from
// the default chain (environment, profiles, web identity, SSO, ECS/EKS
// container endpoint, EC2 instance metadata) and the region and service
// from the host name.
//
//	sigv4 [-X METHOD] [-H 'Name: value']... [-d DATA | -d @FILE | -d @-]
//	      [--service es|aoss|...] [--region R] [--profile P] [-v] URL
//	sigv4 whoami [--role ROLE] [flags] URL
//
// The response body goes to standard output, byte for byte; an HTTP error
// status exits with 22 (as curl --fail-with-body does), after printing the
// body (with the session token redacted, since AWS's error messages can echo
// it) and, for a 403, a diagnosis of the cause on standard error. -v prints to standard
// error which credential source was used, the region and service, the
// canonical request and string to sign (never the secret, the token or the
// signature), and the response's status line and headers.
//
// whoami asks the cluster who the credentials are
// (_plugins/_security/authinfo): user name, backend roles, OpenSearch roles;
// when the IAM role is mapped to no role, it prints the role-mapping request
// that would map it, keeping the existing mapping.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Exit codes.
const (
	exitOK        = 0
	exitFailure   = 1  // the request could not be made
	exitUsage     = 2  // bad flags
	exitHTTPError = 22 // the server answered with an error status, as curl --fail-with-body
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// headerFlags collects repeated -H flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

type options struct {
	method, data, service, region, profile, role string
	headers                                      headerFlags
	verbose, hasData                             bool
	positional                                   []string
}

const usage = `usage: sigv4 [-X METHOD] [-H 'Name: value']... [-d DATA | -d @FILE | -d @-]
             [--service es|aoss|...] [--region R] [--profile P] [-v] URL
       sigv4 whoami [--role ROLE] [--region R] [--profile P] [-v] URL
`

// parse reads flags that may come before and after the positional
// arguments, as with curl.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sigv4", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.method, "X", "", "request method (default GET, or POST with -d)")
	fs.Var(&o.headers, "H", "request header 'Name: value' (repeatable)")
	fs.StringVar(&o.data, "d", "", "request body: DATA, @FILE, or @- for standard input, sent byte for byte")
	fs.StringVar(&o.service, "service", "", "signing service: es or aoss (default: from the host name, else es)")
	fs.StringVar(&o.region, "region", "", "signing region (default: AWS_REGION, the host name, the profile, the instance)")
	fs.StringVar(&o.profile, "profile", "", "shared config profile for credentials (default: AWS_PROFILE, else the default chain)")
	fs.StringVar(&o.role, "role", "all_access", "whoami: the OpenSearch role to suggest mapping to")
	fs.BoolVar(&o.verbose, "v", false, "print what was signed and the response headers to standard error")
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "d" {
				o.hasData = true
			}
		})
		if fs.NArg() == 0 {
			break
		}
		o.positional = append(o.positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	for _, h := range o.headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			fmt.Fprintf(stderr, "sigv4: header %q is not 'Name: value'\n", h)
			return nil, errors.New("bad header")
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	whoami := len(o.positional) > 0 && o.positional[0] == "whoami"
	if whoami {
		o.positional = o.positional[1:]
	}
	if len(o.positional) != 1 {
		fmt.Fprint(stderr, "sigv4: give exactly one URL\n"+usage)
		return exitUsage
	}
	target, err := url.Parse(o.positional[0])
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		fmt.Fprintf(stderr, "sigv4: %q is not an http(s) URL such as https://search-mydomain-abc.eu-west-1.es.amazonaws.com/_cat/indices?v\n", o.positional[0])
		return exitUsage
	}

	var trace strings.Builder // what was signed, for -v; requests are made one at a time
	tr, err := transport.New(func(t *transport.Options) {
		base := &url.URL{Scheme: target.Scheme, Host: target.Host}
		t.Endpoint, t.Region, t.Service = base.String(), o.region, o.service
		if o.profile != "" {
			t.Credentials = credentials.NewCache(credentials.Default(config.WithSharedConfigProfile(o.profile)))
		}
		if o.verbose {
			t.Trace = func(tr signer.Trace) { traceTo(&trace, tr) }
		}
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	client := &http.Client{Transport: tr}

	if whoami {
		return runWhoami(ctx, client, target, o, stdout, stderr, &trace)
	}

	var body io.Reader
	switch {
	case !o.hasData:
	case o.data == "@-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			fmt.Fprintln(stderr, "sigv4: reading standard input:", err)
			return exitFailure
		}
		body = bytes.NewReader(b)
	case strings.HasPrefix(o.data, "@"):
		b, err := os.ReadFile(o.data[1:])
		if err != nil {
			fmt.Fprintln(stderr, "sigv4:", err)
			return exitFailure
		}
		body = bytes.NewReader(b)
	default:
		body = strings.NewReader(o.data)
	}
	method := o.method
	if method == "" {
		method = http.MethodGet
		if body != nil {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		fmt.Fprintln(stderr, "sigv4:", err)
		return exitUsage
	}
	for _, h := range o.headers {
		k, v, _ := strings.Cut(h, ":") // checked in parse
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // OpenSearch refuses curl's form encoding
	}
	return do(client, req, o.verbose, stdout, stderr, &trace)
}

// do sends req, writes the body to stdout, and explains a failure.
func do(client *http.Client, req *http.Request, verbose bool, stdout, stderr io.Writer, trace *strings.Builder) int {
	res, err := client.Do(req)
	if verbose {
		io.WriteString(stderr, trace.String())
		trace.Reset()
	}
	if err != nil {
		fmt.Fprintln(stderr, "sigv4:", err)
		return exitFailure
	}
	defer res.Body.Close()
	if verbose {
		fmt.Fprintf(stderr, "< %s %s\n", res.Proto, res.Status)
		keys := make([]string, 0, len(res.Header))
		for k := range res.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tok := sentToken(res)
		for _, k := range keys {
			for _, v := range res.Header[k] {
				fmt.Fprintf(stderr, "< %s: %s\n", k, redactToken(v, tok))
			}
		}
		fmt.Fprintln(stderr, "<")
	}
	diag := transport.Diagnose(res) // leaves the body to be read
	if res.StatusCode < 400 {
		if _, err := io.Copy(stdout, res.Body); err != nil {
			fmt.Fprintln(stderr, "sigv4: reading the response:", err)
			return exitFailure
		}
		return exitOK
	}
	// An error body can echo the signed headers (AWS's "The Canonical
	// String for this request should have been ..." does): the session
	// token is redacted before it reaches a terminal or a log.
	b, err := io.ReadAll(res.Body)
	if err != nil {
		fmt.Fprintln(stderr, "sigv4: reading the response:", err)
		return exitFailure
	}
	io.WriteString(stdout, redactToken(string(b), sentToken(res)))
	if diag != nil {
		fmt.Fprintln(stderr, diag)
	} else {
		fmt.Fprintf(stderr, "sigv4: %s %s: %s\n", req.Method, req.URL.Redacted(), res.Status)
	}
	return exitHTTPError
}

// sentToken returns the session token the request of res carried, if any.
func sentToken(res *http.Response) string {
	if res.Request == nil {
		return ""
	}
	return res.Request.Header.Get("X-Amz-Security-Token")
}

// redactToken replaces a session token in s, as it is and JSON-escaped
// ('/' written '\/'), with "<redacted>".
func redactToken(s, tok string) string {
	if tok == "" {
		return s
	}
	s = strings.ReplaceAll(s, tok, "<redacted>")
	return strings.ReplaceAll(s, strings.ReplaceAll(tok, "/", `\/`), "<redacted>")
}

// traceTo writes what was signed, for -v.
func traceTo(b *strings.Builder, t signer.Trace) {
	expires := "does not expire"
	if !t.Expires.IsZero() {
		expires = "expires " + t.Expires.UTC().Format("2006-01-02T15:04:05Z")
	}
	fmt.Fprintf(b, "* credentials: %s (access key %s, %s)\n", orUnknown(t.Source), t.AccessKeyID, expires)
	fmt.Fprintf(b, "* scope: %s\n", t.CredentialScope)
	b.WriteString("* canonical request:\n")
	for _, l := range strings.Split(t.CanonicalRequest, "\n") {
		b.WriteString("*   " + l + "\n")
	}
	b.WriteString("* string to sign:\n")
	for _, l := range strings.Split(t.StringToSign, "\n") {
		b.WriteString("*   " + l + "\n")
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown source)"
	}
	return s
}

type authinfo struct {
	UserName     string   `json:"user_name"`
	BackendRoles []string `json:"backend_roles"`
	Roles        []string `json:"roles"`
}

type roleMapping struct {
	BackendRoles    []string `json:"backend_roles"`
	Hosts           []string `json:"hosts"`
	Users           []string `json:"users"`
	AndBackendRoles []string `json:"and_backend_roles,omitempty"`
}

// runWhoami prints who the cluster thinks the caller is and, when the IAM
// role is mapped to no OpenSearch role, the request that would map it.
func runWhoami(ctx context.Context, client *http.Client, target *url.URL, o *options, stdout, stderr io.Writer, trace *strings.Builder) int {
	base := &url.URL{Scheme: target.Scheme, Host: target.Host}
	get := func(path string, into any) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+path, nil)
		res, err := client.Do(req)
		if o.verbose {
			io.WriteString(stderr, trace.String())
			trace.Reset()
		}
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		if res.StatusCode == http.StatusForbidden {
			return res.StatusCode, transport.Diagnose(res)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			return res.StatusCode, fmt.Errorf("GET %s: %s: %s", path, res.Status, redactToken(string(bytes.TrimSpace(b)), sentToken(res)))
		}
		return res.StatusCode, json.Unmarshal(b, into)
	}

	var who authinfo
	if _, err := get("/_plugins/_security/authinfo", &who); err != nil {
		fmt.Fprintln(stderr, "sigv4 whoami:", err)
		return exitHTTPError
	}
	fmt.Fprintf(stdout, "user:          %s\n", who.UserName)
	fmt.Fprintf(stdout, "backend roles: %s\n", listOrNone(who.BackendRoles))
	fmt.Fprintf(stdout, "roles:         %s\n", listOrNone(who.Roles))

	arn := ""
	if len(who.BackendRoles) > 0 {
		arn = who.BackendRoles[0]
	} else if strings.HasPrefix(who.UserName, "arn:") {
		arn = who.UserName
	}
	mapped := slices.ContainsFunc(who.Roles, func(r string) bool { return r != "own_index" && r != "default_role" })
	if mapped || arn == "" {
		return exitOK
	}
	path := "/_plugins/_security/api/rolesmapping/" + url.PathEscape(o.role)
	var current map[string]roleMapping
	status, err := get(path, &current)
	fmt.Fprintf(stdout, "\nThis IAM role is mapped to no OpenSearch role. As the master user, map it to %s with:\n\n", o.role)
	if err != nil && status != http.StatusNotFound {
		// Cannot read the mapping (not the master user?): PATCH adds to it
		// without replacing what is there.
		fmt.Fprintf(stdout, "PATCH _plugins/_security/api/rolesmapping/%s\n", o.role)
		fmt.Fprintf(stdout, "[{\"op\": \"add\", \"path\": \"/backend_roles/-\", \"value\": %q}]\n", arn)
		return exitOK
	}
	m := current[o.role]
	m.BackendRoles = append(m.BackendRoles, arn) // keep what is there: PUT replaces the mapping
	if m.Hosts == nil {
		m.Hosts = []string{}
	}
	if m.Users == nil {
		m.Users = []string{}
	}
	b, _ := json.Marshal(m)
	fmt.Fprintf(stdout, "PUT _plugins/_security/api/rolesmapping/%s\n%s\n", o.role, b)
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}
