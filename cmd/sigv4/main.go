// Command sigv4 is curl for IAM-protected Amazon OpenSearch Service: it
// signs each request with AWS Signature Version 4, with credentials from
// the default chain (environment, profiles, web identity, SSO, ECS/EKS
// container endpoint, EC2 instance metadata) and the region and service
// from the host name.
//
//	sigv4 [options] URL
//	sigv4 whoami [--map ROLE] [options] URL
//	sigv4 proxy [flags] UPSTREAM_URL
//
// Its flags are curl's, with curl's meaning and exit codes (sigv4 help
// lists them); an HTTP error status exits 22 after writing the body, as
// curl --fail-with-body does, and -f writes no body (and leaves an -o FILE
// as it was). Without usable AWS credentials nothing is sent and it exits
// 120, naming the credential source that failed and what to check. A refused request
// (403, or the 401 of fine-grained access control) gets a diagnosis of the
// cause and the fix on standard error. No output ever shows the secret key,
// the session token (raw or JSON-escaped) or a signature.
//
// proxy runs a local signing proxy to one upstream, for tools that cannot
// sign (package proxy): loopback by default; any other address requires
// client certificates or basic auth, or --insecure-listen.
//
// whoami asks the cluster who the credentials are
// (_plugins/_security/authinfo): user name, backend roles, OpenSearch
// roles; when the IAM principal is mapped to no role, it says how to map
// it, and with --map ROLE prints the sigv4 command that adds it to ROLE's
// mapping.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"

	"github.com/opensearch-sigv4/sigv4/transport"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli is one run of the command.
type cli struct {
	o              *options
	stdin          io.Reader
	stdout, stderr io.Writer
	trace          strings.Builder // what was signed, for -v; requests are made one at a time
	tr             *transport.Transport
	client         *http.Client
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "help" {
		return help(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "proxy" {
		if wantsHelp(args[1:]) {
			fmt.Fprint(stdout, proxyUsage)
			return exitOK
		}
		return runProxy(ctx, args[1:], stderr)
	}
	o, err := parse(args)
	c := &cli{o: o, stdin: stdin, stdout: stdout, stderr: stderr}
	if err != nil {
		c.o = &options{}
		c.errorf("%s", err)
		return exitUsage
	}
	whoami := len(o.positional) > 0 && o.positional[0] == "whoami"
	if whoami {
		o.positional = o.positional[1:]
	}
	switch {
	case o.help && whoami:
		fmt.Fprint(stdout, whoamiUsage)
		return exitOK
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case o.version:
		fmt.Fprintln(stdout, "sigv4", version())
		return exitOK
	}
	if len(o.positional) != 1 {
		c.errorf("give exactly one URL, such as https://search-mydomain-abc.eu-west-1.es.amazonaws.com/_cat/indices?v (sigv4 --help)")
		return exitUsage
	}
	target, code := c.parseURL(o.positional[0])
	if code != exitOK {
		return code
	}
	if code := c.setup(target); code != exitOK {
		return code
	}
	if whoami {
		return c.whoami(ctx, target)
	}
	req, code := c.request(ctx, target)
	if code != exitOK {
		return code
	}
	return c.do(req)
}

// help answers "sigv4 help [COMMAND]" on standard output.
func help(args []string, stdout, stderr io.Writer) int {
	topic := ""
	if len(args) > 0 {
		topic = args[0]
	}
	switch {
	case len(args) > 1:
	case topic == "":
		fmt.Fprint(stdout, usage)
		return exitOK
	case topic == "proxy":
		fmt.Fprint(stdout, proxyUsage)
		return exitOK
	case topic == "whoami":
		fmt.Fprint(stdout, whoamiUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "sigv4: no help for %q: sigv4 help, sigv4 help whoami or sigv4 help proxy\n", strings.Join(args, " "))
	return exitUsage
}

// wantsHelp reports whether a subcommand's arguments ask for its help:
// -h, -help or --help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
