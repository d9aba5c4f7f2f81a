// Healing a refusal: the clock offset learned from a clock-skew 403, the
// credentials dropped after an invalid-token 403, and the retry (DESIGN.md,
// "Healing").

package transport

import (
	"context"
	"crypto/sha256"
	"net/http"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// now is the corrected clock: Clock plus the offset learned from AWS.
func (t *Transport) now() time.Time { return t.clock().Add(time.Duration(t.skew.Load())) }

// Bounds on learning from a clock-skew 403.
const (
	// skewAgreement is how far the response's Date may be from the server
	// time AWS states in its message ("... (20261122T061500Z - 5 min.)")
	// for the offset to be learned: both come from AWS's clock at once.
	skewAgreement = 2 * time.Second
	// maxSkew bounds a learned offset: a clock off by more than a day is
	// broken, and no response should persuade the transport otherwise.
	maxSkew = 24 * time.Hour
	// invalidateEvery is the least time between two invalidations of
	// credentials after invalid-token 403s.
	invalidateEvery = time.Second
)

// reStatedTime finds the server time AWS states in a clock-skew message.
var reStatedTime = regexp.MustCompile(`\((\d{8}T\d{6}Z) [-+] 5 min\.\)`)

// invalidation records the credentials last invalidated, by fingerprint.
type invalidation struct {
	fingerprint [sha256.Size]byte
	at          time.Time
}

// fingerprint identifies credentials without keeping their secrets.
func fingerprint(c aws.Credentials) [sha256.Size]byte {
	return sha256.Sum256([]byte(c.AccessKeyID + "\x00" + c.SessionToken))
}

// heal handles a 403: it passes the diagnosis to the hook and, for clock
// skew or an invalid token, retries when the body can be replayed, passing
// each retry's 403 to the hook too. Each of the two causes is healed at
// most once per request, so a request is retried once, or twice when the
// retry's refusal is the other cause: at a credential rotation on a
// skewed clock, the new token may then be refused for the time it was
// signed at, or the new time for the old token. Any other refusal, and
// the same cause twice, ends it. used are the credentials the refused
// request was signed with; heal returns those of the last retry, if any.
// The caller's own retries are signed anew by RoundTrip as usual.
func (t *Transport) heal(orig, sent *http.Request, res *http.Response, used aws.Credentials) (_ *http.Response, _ *Diagnosis, retried aws.Credentials, _ error) {
	replayable := sent.Body == nil || sent.Body == http.NoBody || sent.GetBody != nil
	healedSkew, healedToken := false, false
	for {
		d := t.diagnose(res, sent)
		if d == nil {
			return res, nil, retried, nil
		}
		if t.onDeny != nil {
			t.onDeny(d)
		}
		switch d.Cause {
		case CauseClockSkew:
			if healedSkew || !t.learnSkew(res, d) {
				return res, d, retried, nil
			}
			healedSkew = true
		case CauseInvalidToken:
			if healedToken || !t.invalidate(sent.Context(), used) {
				return res, d, retried, nil
			}
			healedToken = true
		default:
			return res, d, retried, nil
		}
		if !replayable {
			return res, d, retried, nil
		}
		retry, _ := signingCopy(orig)
		if sent.GetBody != nil {
			body, err := sent.GetBody()
			if err != nil {
				return res, d, retried, nil // keep the 403; the caller sees why it failed
			}
			retry.Body, retry.GetBody, retry.ContentLength = body, sent.GetBody, sent.ContentLength
		}
		creds, err := t.sign(retry, t.signer)
		if err != nil {
			if retry.Body != nil {
				retry.Body.Close()
			}
			return res, d, retried, nil
		}
		res.Body.Close() // the retry replaces it
		res, err = t.base.RoundTrip(retry)
		if err != nil || !refusalStatus(res.StatusCode) {
			return res, nil, creds, err
		}
		sent, used, retried = retry, creds, creds
	}
}

// diagnose is Diagnose, with what only the transport knows: for a scope
// refusal, where the region and service it signed for came from.
func (t *Transport) diagnose(res *http.Response, sent *http.Request) *Diagnosis {
	d, _ := Diagnose(res).(*Diagnosis)
	if d == nil || d.Cause != CauseCredentialScope {
		return d
	}
	sc, err := t.scope(sent.Context(), t.signingHost(sent))
	if err == nil {
		d.Fix += " The region " + sc.region + " came from " + sc.regionFrom + ", the service " + sc.service + " from " + sc.serviceFrom + "."
	}
	return d
}

// learnSkew learns the offset of AWS's clock from a clock-skew 403, when
// the response can be trusted to tell it: not a cached response (Age), and
// its Date agrees with the server time AWS states in its message. It
// reports whether the offset changed.
func (t *Transport) learnSkew(res *http.Response, d *Diagnosis) bool {
	if res.Header.Get("Age") != "" || d.ServerTime.IsZero() {
		return false // a cached response's Date says nothing of the clock now
	}
	m := reStatedTime.FindStringSubmatch(d.Message)
	if m == nil {
		return false
	}
	stated, err := time.Parse("20060102T150405Z", m[1])
	if err != nil || stated.Sub(d.ServerTime).Abs() > skewAgreement {
		return false
	}
	skew := d.ServerTime.Sub(t.clock())
	if skew.Abs() > maxSkew {
		return false
	}
	if t.skew.Swap(int64(skew)) == int64(skew) {
		return false
	}
	t.syncCache()
	return true
}

// syncCache tells a caller's credentials.Cache the corrected time, or that
// there is no correction, after the offset changed.
func (t *Transport) syncCache() {
	if t.syncClock == nil {
		return
	}
	if t.skew.Load() == 0 {
		t.syncClock(time.Time{})
		return
	}
	t.syncClock(t.now())
}

// invalidate drops the credentials used for a request that AWS refused for
// an invalid token, when the provider can, so that the retry fetches new
// ones. It does so at most once for the same credentials, at most once per
// invalidateEvery, and only while the provider still holds the refused
// credentials: a late 403 does not throw away their replacement. It
// reports whether a retry may help: new credentials are (or will be) there.
func (t *Transport) invalidate(ctx context.Context, used aws.Credentials) bool {
	inv, ok := t.creds.(interface{ Invalidate() })
	if !ok {
		return false
	}
	fp := fingerprint(used)
	replaced := func() bool {
		cur, err := t.creds.Retrieve(ctx)
		return err == nil && fingerprint(cur) != fp
	}
	if replaced() {
		return true // a late 403: retry with the new credentials
	}
	last := t.invalidated.Load()
	if last != nil && last.fingerprint == fp {
		return false // dropped once already, and the source serves them again
	}
	now := t.clock()
	if last != nil && now.Sub(last.at) < invalidateEvery {
		return false
	}
	if t.invalidated.CompareAndSwap(last, &invalidation{fingerprint: fp, at: now}) {
		inv.Invalidate()
	}
	return replaced()
}

// dropSkew forgets a learned offset, reporting whether there was one.
func (t *Transport) dropSkew() bool {
	if t.skew.Swap(0) == 0 {
		return false
	}
	t.syncCache()
	return true
}
