package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// do sends req and writes the response as curl would.
func (c *cli) do(req *http.Request) int {
	o := c.o
	start := time.Now()
	res, err := c.client.Do(req)
	c.flushTrace()
	if err != nil {
		return c.failed(err)
	}
	defer res.Body.Close()
	tok := sentToken(res)
	if o.verbose {
		c.writeHead(c.stderr, "< ", res, tok)
	}

	failed := res.StatusCode >= 400
	if failed && o.fail {
		// As curl -f: no body, and an existing -o FILE untouched.
		if o.writeOut != "" {
			io.WriteString(c.stdout, writeOut(o.writeOut, res, 0, time.Since(start)))
		}
		return c.httpError(req, res)
	}
	out, err := c.openOutput()
	if err != nil {
		c.errorf("cannot write the output to %s: %s", c.o.output, oneLine(rootCause(err)))
		return exitWrite
	}
	defer out.abort() // a no-op once committed
	if o.include || o.head {
		c.writeHead(out, "", res, tok)
	}
	var n int64
	if !o.head {
		var body io.Reader = res.Body
		if failed {
			// An error body can echo the signed headers: the session token
			// is redacted before it reaches a terminal or a log.
			b, err := io.ReadAll(res.Body)
			if err != nil {
				return c.failed(err)
			}
			body = strings.NewReader(redact.Secret(string(b), tok))
		}
		n, err = io.Copy(out, body)
		if err != nil {
			var we *writeError
			if errors.As(err, &we) {
				c.errorf("cannot write the output: %s", we.err)
				return exitWrite
			}
			return c.failed(err)
		}
	}
	if err := out.commit(); err != nil {
		c.errorf("cannot write the output to %s: %s", c.o.output, oneLine(rootCause(err)))
		return exitWrite
	}
	if o.writeOut != "" {
		io.WriteString(c.stdout, writeOut(o.writeOut, res, n, time.Since(start)))
	}
	if !failed {
		return exitOK
	}
	return c.httpError(req, res)
}

// httpError reports an HTTP error status: the diagnosis of a refusal, or
// the status.
func (c *cli) httpError(req *http.Request, res *http.Response) int {
	if d := c.tr.DiagnosisFor(res.Header); d != nil {
		c.errorf("%s", describe(d))
	} else {
		c.errorf("%s %s: the server answered %s", req.Method, req.URL.Redacted(), res.Status)
	}
	return exitHTTPError
}

// writeError marks an error from writing the output.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// writeHead writes the status line and headers, each line after prefix.
func (c *cli) writeHead(w io.Writer, prefix string, res *http.Response, tok string) {
	eol := "\n"
	if prefix == "" {
		eol = "\r\n" // -i and -I write them as they came
	}
	fmt.Fprintf(w, "%s%s %s%s", prefix, res.Proto, res.Status, eol)
	for _, k := range sortedKeys(res.Header) {
		for _, v := range res.Header[k] {
			fmt.Fprintf(w, "%s%s: %s%s", prefix, k, redact.Secret(v, tok), eol)
		}
	}
	fmt.Fprintf(w, "%s%s", strings.TrimRight(prefix, " "), eol)
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeOut expands -w's variables and escapes.
func writeOut(format string, res *http.Response, size int64, took time.Duration) string {
	r := strings.NewReplacer(
		"%{http_code}", fmt.Sprintf("%03d", res.StatusCode),
		"%{response_code}", fmt.Sprintf("%03d", res.StatusCode),
		"%{time_total}", fmt.Sprintf("%.6f", took.Seconds()),
		"%{size_download}", fmt.Sprint(size),
		"%{url_effective}", res.Request.URL.Redacted(),
		`\n`, "\n", `\t`, "\t", `\r`, "\r",
	)
	return r.Replace(format)
}
