package transport

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/authheader"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// requestSecrets returns what of a signed request no diagnosis may show:
// its session token, access key id and signature.
func requestSecrets(req *http.Request) []string {
	var s []string
	if t := req.Header.Get("X-Amz-Security-Token"); t != "" {
		s = append(s, t)
	}
	// Shorter values are not searched for: they would match ordinary words.
	a, _ := authheader.Parse(req.Header.Get("Authorization")) // what it holds, malformed or not
	if len(a.AccessKeyID) >= 16 {
		s = append(s, a.AccessKeyID)
	}
	if len(a.Signature) >= 16 {
		s = append(s, a.Signature)
	}
	return s
}

var (
	reTokenLine = regexp.MustCompile(`(?m)^(x-amz-security-token:)(.+)$`)
	reEchoAuthz = regexp.MustCompile(`(?s)(Authorization=|in Authorization header: ')(.+)`)
	reEchoPair  = regexp.MustCompile(`^(')([^']+)(' not a valid key=value pair)`)
	// reEchoQuery finds the credentials of a presigned URL echoed in a
	// canonical request.
	reEchoQuery = regexp.MustCompile(`(?i)(X-Amz-(?:Security-Token|Credential|Signature)=)([^&\s']+)`)
	// reAccessKey finds an AWS access key id.
	reAccessKey = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)
	// reEchoScheme finds what may be a basic-auth or bearer credential
	// quoted in a message; credentialLike decides.
	reEchoScheme = regexp.MustCompile(`\b(Basic |Bearer )([A-Za-z0-9+/=._~-]{8,})`)
)

// redactMessage removes from a message every credential it may echo: the
// request's secrets (session token, access key id, signature) wherever they
// appear, any x-amz-security-token line of a canonical request, a presigned
// URL's credentials, an echoed Authorization header, any access key id, and
// a basic-auth or bearer credential. It returns the message and the
// credentials it removed.
func redactMessage(msg string, secrets []string) (string, []string) {
	var echoed []string
	for _, s := range secrets {
		if r := redact.Secret(msg, s); r != msg {
			echoed = append(echoed, s)
			msg = r
		}
	}
	// redact replaces the value (the regexp's group 2, else its match)
	// of every match that holds a credential.
	redact := func(re *regexp.Regexp) {
		msg = re.ReplaceAllStringFunc(msg, func(m string) string {
			i := re.FindStringSubmatchIndex(m)
			start, end := 0, len(m)
			if len(i) >= 6 && i[4] >= 0 {
				start, end = i[4], i[5]
			}
			creds := echoedCredentials(m[start:end])
			if len(creds) == 0 {
				return m
			}
			echoed = append(echoed, creds...)
			scheme := ""
			for _, sc := range []string{"AWS4-HMAC-SHA256 ", "Basic ", "Bearer "} {
				if strings.HasPrefix(m[start:end], sc) {
					scheme = sc // kept: it says what kind of header reached AWS
				}
			}
			return m[:start] + scheme + redact.Placeholder + m[end:]
		})
	}
	redact(reTokenLine)
	if strings.Contains(msg, "Authorization header requires") || strings.Contains(msg, "in Authorization header: '") {
		// AWS echoes the Authorization header it got: a password or a token.
		redact(reEchoPair)
		redact(reEchoAuthz)
	}
	redact(reEchoQuery)
	redact(reEchoScheme)
	redact(reAccessKey)
	return msg, echoed
}

// echoedCredentials returns the credentials in a value echoed where one
// goes: an Authorization header's (a basic-auth or bearer credential, a
// SigV4 access key id and signature), or the value itself; none when it
// is a word ("Basic authentication") or already redacted.
func echoedCredentials(v string) []string {
	var creds []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
		f = strings.Trim(f, `'".;`)
		switch {
		case f == "Basic" || f == "Bearer" || f == "AWS4-HMAC-SHA256" || strings.HasPrefix(f, "SignedHeaders="):
			continue
		case strings.HasPrefix(f, "Credential="):
			f, _, _ = strings.Cut(strings.TrimPrefix(f, "Credential="), "/")
		case strings.HasPrefix(f, "Signature="):
			f = strings.TrimPrefix(f, "Signature=")
		}
		if akid, _, ok := strings.Cut(f, "%2F"); ok { // a presigned URL's X-Amz-Credential
			f = akid
		}
		if len(f) >= 8 && !strings.ContainsAny(f, "<>()") && strings.ContainsAny(f, "0123456789=+/_-ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			creds = append(creds, f)
		}
	}
	return creds
}
