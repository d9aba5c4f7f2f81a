package transport

import (
	"errors"
	"net/http"
)

// maxRedirects is how many redirects CheckRedirect follows, as many as
// http.Client does by default.
const maxRedirects = 10

// CheckRedirect is an http.Client CheckRedirect function for requests
// signed with [Transport.SignRequest] and sent by a client whose Transport
// does not sign:
//
//	client := &http.Client{CheckRedirect: tr.CheckRedirect}
//	tr.SignRequest(req)
//	res, err := client.Do(req)
//
// http.Client copies a request's headers onto the request that follows a
// redirect, and on a redirect to another host name it drops only
// Authorization, WWW-Authenticate and cookies (to the same host name on
// another port, not even those): without CheckRedirect,
// X-Amz-Security-Token is sent to whatever host a redirect names, and the
// copied signature, for the old path, is refused even where the redirect
// is right. CheckRedirect lets the client
// follow a redirect only where the transport would sign it (the same
// scheme and host as the request that was redirected, or a host that
// AllowedHosts names; never from https to http), and signs the new request
// for its own path, so that a redirect within the domain is accepted. Any
// other redirect is refused before it is sent: client.Do returns an error
// whose cause is a [*HostError], and the other host receives nothing.
// After 10 redirects it stops with an error, as http.Client does by
// default.
func (t *Transport) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("sigv4/transport: stopped after 10 redirects")
	}
	return t.SignRequest(req)
}
