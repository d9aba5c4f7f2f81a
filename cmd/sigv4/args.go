package main

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// dataKind is how a request-body flag reads its value, as curl's.
type dataKind int

const (
	dataPlain dataKind = iota // -d, --data, --data-binary: DATA, @FILE or @-, sent byte for byte
	dataRaw                   // --data-raw: DATA as it is, '@' included
	dataJSON                  // --json: like --data-binary, and JSON headers
)

type dataPiece struct {
	kind  dataKind
	value string
}

// options are the command line, read the way curl reads its own.
type options struct {
	method         string
	headers        []string
	data           []dataPiece
	include, head  bool
	output         string
	silent, showEr bool
	fail           bool // -f: no body on an HTTP error
	insecure       bool
	caCert         string // --cacert: a PEM file of CAs to trust for the server
	location       bool
	maxTime        time.Duration
	connectTimeout time.Duration
	writeOut       string
	verbose        bool
	version, help  bool

	region, service, profile, signingHost string
	allowedHosts                          []string
	mapRole                               string // whoami --map

	positional []string
}

// Defaults: a connect timeout long enough for a cross-region TLS handshake,
// and an overall one long enough for a large _bulk or a slow search, which
// OpenSearch itself gives up on sooner.
const (
	defaultConnectTimeout = 10 * time.Second
	defaultMaxTime        = 5 * time.Minute
)

// flagSpec is one flag: its short and long names and whether it takes a
// value.
type flagSpec struct {
	short    byte
	long     string
	takesArg bool
	set      func(o *options, v string) error
}

var flagSpecs = []flagSpec{
	{'X', "request", true, func(o *options, v string) error { o.method = v; return nil }},
	{'H', "header", true, func(o *options, v string) error { o.headers = append(o.headers, v); return nil }},
	{'d', "data", true, func(o *options, v string) error { o.data = append(o.data, dataPiece{dataPlain, v}); return nil }},
	{0, "data-binary", true, func(o *options, v string) error { o.data = append(o.data, dataPiece{dataPlain, v}); return nil }},
	{0, "data-raw", true, func(o *options, v string) error { o.data = append(o.data, dataPiece{dataRaw, v}); return nil }},
	{0, "json", true, func(o *options, v string) error { o.data = append(o.data, dataPiece{dataJSON, v}); return nil }},
	{'i', "include", false, func(o *options, _ string) error { o.include = true; return nil }},
	{'I', "head", false, func(o *options, _ string) error { o.head = true; return nil }},
	{'o', "output", true, func(o *options, v string) error { o.output = v; return nil }},
	{'s', "silent", false, func(o *options, _ string) error { o.silent = true; return nil }},
	{'S', "show-error", false, func(o *options, _ string) error { o.showEr = true; return nil }},
	{'f', "fail", false, func(o *options, _ string) error { o.fail = true; return nil }},
	{0, "fail-with-body", false, func(o *options, _ string) error { o.fail = false; return nil }},
	{'k', "insecure", false, func(o *options, _ string) error { o.insecure = true; return nil }},
	{0, "cacert", true, func(o *options, v string) error { o.caCert = v; return nil }},
	{'L', "location", false, func(o *options, _ string) error { o.location = true; return nil }},
	{'m', "max-time", true, func(o *options, v string) error { return seconds(&o.maxTime, "--max-time", v) }},
	{0, "connect-timeout", true, func(o *options, v string) error { return seconds(&o.connectTimeout, "--connect-timeout", v) }},
	{'w', "write-out", true, func(o *options, v string) error { o.writeOut = v; return nil }},
	{'v', "verbose", false, func(o *options, _ string) error { o.verbose = true; return nil }},
	{'V', "version", false, func(o *options, _ string) error { o.version = true; return nil }},
	{'h', "help", false, func(o *options, _ string) error { o.help = true; return nil }},
	{'u', "user", true, func(*options, string) error { return errUser }},
	{0, "region", true, func(o *options, v string) error { o.region = v; return nil }},
	{0, "service", true, func(o *options, v string) error { o.service = v; return nil }},
	{0, "profile", true, func(o *options, v string) error { o.profile = v; return nil }},
	{0, "signing-host", true, func(o *options, v string) error { o.signingHost = v; return nil }},
	{0, "allowed-host", true, func(o *options, v string) error { o.allowedHosts = append(o.allowedHosts, v); return nil }},
	{0, "map", true, func(o *options, v string) error { o.mapRole = v; return nil }},
}

// errUser refuses -u: SigV4 replaces basic auth.
var errUser = errors.New("-u/--user sends basic auth, which SigV4 replaces: an IAM-protected domain refuses it. " +
	"Give AWS credentials instead (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or --profile, or an instance or container role); " +
	"for a domain whose master user is an internal user, use curl -u")

// usageError is a command line that cannot be run; its message says why.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func seconds(d *time.Duration, name, v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return &usageError{name + " takes a number of seconds greater than 0, such as 30 or 0.5, not " + strconv.Quote(v)}
	}
	*d = time.Duration(f * float64(time.Second))
	return nil
}

func lookupShort(c byte) *flagSpec {
	for i := range flagSpecs {
		if flagSpecs[i].short == c {
			return &flagSpecs[i]
		}
	}
	return nil
}

func lookupLong(name string) *flagSpec {
	for i := range flagSpecs {
		if flagSpecs[i].long == name {
			return &flagSpecs[i]
		}
	}
	return nil
}

// parse reads the command line as curl does: flags before and after the
// URL, short flags grouped (-sS) or attached to their value (-XPUT,
// -HHost:x, -o-), --name value or --name=value, and -- ending the flags.
func parse(args []string) (*options, error) {
	o := &options{connectTimeout: defaultConnectTimeout, maxTime: defaultMaxTime}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.positional = append(o.positional, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			spec := lookupLong(name)
			if spec == nil {
				return nil, &usageError{"unknown option --" + name + " (sigv4 --help lists them)"}
			}
			if spec.takesArg && !hasVal {
				if i+1 >= len(args) {
					return nil, &usageError{"--" + name + " needs a value"}
				}
				i++
				val = args[i]
			} else if !spec.takesArg && hasVal {
				return nil, &usageError{"--" + name + " takes no value"}
			}
			if err := spec.set(o, val); err != nil {
				return nil, err
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				spec := lookupShort(a[j])
				if spec == nil {
					return nil, &usageError{"unknown option -" + string(a[j]) + " (sigv4 --help lists them)"}
				}
				if !spec.takesArg {
					if err := spec.set(o, ""); err != nil {
						return nil, err
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, &usageError{"-" + string(a[j]) + " needs a value"}
					}
					i++
					val = args[i]
				}
				if err := spec.set(o, val); err != nil {
					return nil, err
				}
				break
			}
		default:
			o.positional = append(o.positional, a)
		}
	}
	for _, h := range o.headers {
		if k, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(k) == "" {
			return nil, &usageError{"header " + strconv.Quote(h) + " is not 'Name: value'"}
		}
	}
	return o, nil
}

const usage = `usage: sigv4 [options] URL
       sigv4 whoami [--map ROLE] [options] URL
       sigv4 proxy [flags] UPSTREAM_URL     (sigv4 proxy -h)

curl for IAM-protected Amazon OpenSearch Service: every request is signed
with AWS Signature Version 4 (credentials from the environment, AWS_PROFILE
or --profile, web identity, SSO, the ECS/EKS container role or the EC2
instance role; region and service from the host name).

Request:
  -X, --request METHOD       method (default GET; POST with data; HEAD with -I)
  -H, --header 'Name: value' header, repeatable; -H 'Host: NAME' signs and sends that host
  -d, --data DATA|@FILE|@-   body, sent byte for byte (curl strips newlines from @FILE; sigv4 does not)
      --data-binary DATA     the same as -d
      --data-raw DATA        body as given, '@' included
      --json DATA|@FILE      body, with Content-Type and Accept application/json, POST
  -L, --location             follow redirects on the same scheme and host, re-signing each hop
      --allowed-host NAME    also sign for NAME (or *.SUFFIX), such as a redirect's host; repeatable
  -k, --insecure             do not verify the server's certificate (an SSH tunnel to a VPC domain)
      --cacert FILE          verify the server's certificate with the CA certificates in FILE (PEM)
      --signing-host NAME    sign for NAME and send it as Host (tunnels, port forwarding)
      --region R             signing region (default: the host name, AWS_REGION, the profile, the instance)
      --service S            signing service, es or aoss (default: from the host name, else es)
      --profile P            shared config profile for credentials and region, as AWS_PROFILE=P
  -u, --user                 refused: SigV4 replaces basic auth
Time:
      --connect-timeout SECS time to connect, TLS included (default 10)
  -m, --max-time SECS        time for the whole request (default 300: a large _bulk or search takes minutes)
Response:
  -o, --output FILE          write the body to FILE (- for standard output)
  -i, --include              write the status line and headers before the body
  -I, --head                 send HEAD and write the headers
  -f, --fail                 on an HTTP error, write no body and exit 22
      --fail-with-body       on an HTTP error, write the body and exit 22 (the default)
  -w, --write-out FORMAT     write FORMAT after the transfer: %{http_code} %{time_total} %{size_download} %{url_effective}
  -s, --silent               no error messages; -S, --show-error shows them again
  -v, --verbose              what was signed (* lines), sent (>) and received (<), on standard error
  -V, --version              print the version
whoami:
      --map ROLE             print the command that maps the caller to ROLE (adding to the mapping)

Exit codes, as curl's: 0 ok, 2 bad options, 3 bad URL, 6 cannot resolve the host,
7 cannot connect, 22 HTTP error, 23 cannot write the output, 28 timeout,
35 TLS handshake failed, 60 certificate not trusted, 1 anything else
(no credentials, a request that cannot be signed).
`
