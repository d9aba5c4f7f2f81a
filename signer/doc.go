// Package signer signs HTTP requests with AWS Signature Version 4
// (AWS4-HMAC-SHA256) for Amazon OpenSearch Service (service "es"),
// OpenSearch Serverless ("aoss") and any other AWS HTTP API.
//
// Most programs do not use this package directly: the transport package
// wraps it in an http.RoundTripper that fetches credentials and signs every
// request. Use the signer when you hold the credentials and the request
// yourself:
//
//	s, err := signer.New()
//	...
//	err = s.Sign(req, creds, "us-east-1", "es", time.Now())
//
// # What is sent, and what is signed
//
// The first rule: the request that goes on the wire means what the caller's
// request meant, read the way OpenSearch reads it (path split on '/', each
// segment percent-decoded, no dot-segment resolution; query split on '&',
// '+' a space, the last value of a repeated key wins). Within that, what is
// signed is exactly what is sent. Sign rewrites the request to that wire
// form:
//
//   - Path: the caller's escaped path (URL.RawPath when it encodes
//     URL.Path, so a "%2F" inside a segment stays one), with every byte that
//     may not stand in a path percent-encoded; a segment that is exactly "."
//     or ".." is a name (an id or an index), sent as "%2E" or "%2E%2E";
//     empty segments are dropped. The canonical URI is that path encoded
//     once more, so "%2F" signs as "%252F". For service "s3" each segment is
//     decoded and encoded once, strictly, and dot segments are kept.
//   - Query: split on '&' and the first '='; empty parameters dropped; each
//     key and value percent-decoded, with '+' read as a space (as url.Values
//     writes it and OpenSearch reads it), and encoded again per RFC 3986.
//     The wire keeps the caller's order, so a repeated key keeps its last
//     value; the canonical query sorts by key, then value, and a key without
//     '=' signs as "key=".
//   - Headers: host, x-amz-date, x-amz-content-sha256, x-amz-security-token
//     when there is a session token, content-type when present, every other
//     x-amz-* header present, and those named in [Options.SignedHeaders].
//     Never authorization, content-length, user-agent, accept-encoding,
//     connection, transfer-encoding, expect, x-forwarded-* or
//     x-amzn-trace-id, which proxies and Go's transport change. Header keys
//     that differ only in case are merged under one key; the caller's own
//     X-Amz-Date, X-Amz-Security-Token and Authorization, in any case, never
//     survive signing. Values are trimmed, runs of spaces and tabs
//     collapsed, repeated headers joined with ','.
//   - Host: [Options.SigningHost], else Request.Host, else URL.Host, in the form
//     net/http sends it: an internationalised name in punycode, an IPv6
//     zone dropped; ":443" for https and ":80" for http are dropped.
//   - Payload: X-Amz-Content-Sha256 is always set and signed; see
//     [Signer.Sign] for how the body is hashed without copying it.
//
// # Payload hashing
//
// The value of X-Amz-Content-Sha256, in order of preference: one the caller
// already set (including [UnsignedPayload]); [EmptyPayloadHash] for a nil
// body or http.NoBody; a fresh copy from Request.GetBody streamed through
// SHA-256 (no copy of the body is made); a body that implements io.Seeker,
// hashed and sought back to where it was; otherwise the body is read once,
// in 32 KiB chunks hashed as they arrive, into a spool (in memory up to 16
// MiB, an unlinked temporary file beyond, so memory stays bounded whatever
// the size), and replaced with a reader of the spool, with GetBody and
// ContentLength set so that retries send the same bytes. The bytes hashed are the bytes sent: no
// charset conversion, no re-encoding. Hashing stops when the request's
// context is done.
//
// # Errors
//
// Every error is an [*Error] whose Kind is one of [ErrRequest],
// [ErrCredentials], [ErrScope], [ErrHeader], [ErrBody] or [ErrOption]. No
// error, and no [Trace], contains the secret access key, the session token
// or a signature.
package signer
