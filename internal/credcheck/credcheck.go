// Package credcheck holds the one rule for credentials that cannot sign a
// request (DESIGN.md, "Credentials"): the credential cache refuses to keep
// them and the signer refuses to sign with them, by the same rule, so that
// what one accepts the other does too.
package credcheck

import "strings"

// Problem names what makes credentials unusable for signing, or returns
// "" for usable ones: an empty access key id or secret; an access key id
// holding a space, a control character, '/', ',' or '=' (it is written
// into the Authorization header's Credential parameter, which those would
// end or split); a control character in the secret or the session token (a
// line break read from a file, which in a header would start another).
// The text follows "the" in a sentence and never quotes a value.
func Problem(accessKeyID, secret, sessionToken string) string {
	switch {
	case accessKeyID == "":
		return "access key id is empty"
	case secret == "":
		return "secret access key is empty"
	case hasControl(accessKeyID) || strings.ContainsAny(accessKeyID, " /,="):
		return "access key id holds a space, a control character, '/', ',' or '='"
	case hasControl(secret):
		return "secret access key holds a control character (a line break?)"
	case hasControl(sessionToken):
		return "session token holds a control character (a line break?)"
	}
	return ""
}

// hasControl reports whether s holds an ASCII control character (tab and
// DEL included).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
