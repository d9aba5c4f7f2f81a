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
// # What is signed
//
// The canonical request follows AWS's rules, with the choices below made
// for services that sit behind proxies and load balancers:
//
//   - Path: the path as it goes on the wire (URL.EscapedPath, or the path of
//     URL.Opaque), normalised ("." and ".." segments removed, repeated "/"
//     collapsed), then each byte that is not an RFC 3986 unreserved
//     character encoded once more, so "%2F" in a document id signs as
//     "%252F". For service "s3" the path is not normalised; each segment is
//     decoded and encoded once, strictly.
//   - Query: split on '&' and the first '='; a key without '=' signs as
//     "key="; percent-decoded, with '+' read as a space (as url.Values writes
//     it and OpenSearch reads it); encoded again per RFC 3986 and sorted by
//     key, then value.
//   - Headers: host, x-amz-date, x-amz-content-sha256, x-amz-security-token
//     when there is a session token, content-type when present, every other
//     x-amz-* header present, and those named in [Options.SignedHeaders].
//     Never authorization, content-length, user-agent, accept-encoding,
//     connection, transfer-encoding, expect, x-forwarded-* or
//     x-amzn-trace-id, which proxies and Go's transport change. Values are
//     trimmed, runs of spaces and tabs collapsed, repeated headers joined
//     with ','.
//   - Host: [Options.Host], else Request.Host, else URL.Host; ":443" for
//     https and ":80" for http are dropped.
//   - Payload: X-Amz-Content-Sha256 is always set and signed; see
//     [Signer.Sign] for how the body is hashed without copying it.
//
// Sign rewrites the request to the form it signed (normalised path,
// canonical query, host without default port), so the signature never
// depends on how a server or proxy re-encodes the URL.
//
// # Payload hashing
//
// The value of X-Amz-Content-Sha256, in order of preference: one the caller
// already set (including [UnsignedPayload]); [EmptyPayloadHash] for a nil
// body or http.NoBody; a fresh copy from Request.GetBody streamed through
// SHA-256 (no copy of the body is made); a body that implements io.Seeker,
// hashed and sought back to where it was; otherwise the body is read once
// and replaced with an in-memory one, with GetBody and ContentLength set so
// that retries send the same bytes. The bytes hashed are the bytes sent: no
// charset conversion, no re-encoding.
//
// # Errors
//
// Every error is an [*Error] whose Kind is one of [ErrRequest],
// [ErrCredentials], [ErrScope], [ErrHeader], [ErrBody] or [ErrOption]. No
// error, and no [Trace], contains the secret access key, the session token
// or a signature.
package signer
