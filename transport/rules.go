package transport

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// rule is one row of the classifier: what a refusal must show for the
// rule to apply, the cause it names, and the fix it writes.
type rule struct {
	// status lists the statuses the rule applies to.
	status []int
	// service, when set, is the service the refusal must come from.
	service string
	// says are phrases (lower case) of which the message must hold one,
	// and codes prefixes of which the error's type or code must start with
	// one; when both are set, either suffices, and when neither is, any
	// message does.
	says, codes []string
	// when, if set, is a further condition.
	when func(*refusal) bool
	// cause is the cause named.
	cause Cause
	// fix writes the fix and the evidence into the diagnosis; nil says
	// the response is no refusal, and Diagnose returns nil.
	fix func(*refusal, *Diagnosis)
}

// Statuses the rules apply to.
var (
	authStatus    = []int{http.StatusUnauthorized, http.StatusForbidden}
	awsAuthStatus = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden} // STS answers some with 400
	only400       = []int{http.StatusBadRequest}
	only401       = []int{http.StatusUnauthorized}
	only403       = []int{http.StatusForbidden}
	only413       = []int{http.StatusRequestEntityTooLarge}
	only429       = []int{http.StatusTooManyRequests}
	blockStatus   = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests} // OpenSearch 2 answers a flood-stage block with 429
	refusedStatus = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}
	deniedStatus  = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}
)

// documentErrors are the error types of a 400 about the request's own
// content (a document, a mapping, a query), whose message may quote the
// document: whatever words it holds, such a 400 is no refusal.
var documentErrors = []string{"mapper_parsing_exception", "document_parsing_exception", "parsing_exception", "x_content_parse_exception", "json_parse_exception",
	"illegal_argument_exception", "action_request_validation_exception", "strict_dynamic_mapping_exception", "search_phase_execution_exception", "query_shard_exception"}

// rules classify a refusal: the first that matches names the cause. The
// order is the precedence: a 400 about the request's content is no
// refusal; then a refusal whose size, a block or the rate is the cause;
// then the causes AWS names in so many words (KMS, an API not offered,
// clock, scope, signature, token, a non-SigV4 Authorization header); then
// the permission checks from the outside in (STS, Ingestion, Serverless,
// the access policy, fine-grained access control); and last what only the
// status says. A 400 that no rule matches is no refusal either.
var rules = []rule{
	{status: only400, codes: documentErrors, fix: nil},
	{status: only413, cause: CauseTooLarge, fix: tooLargeFix},
	{status: blockStatus, says: []string{"cluster_block_exception", "blocked by: ["}, cause: CauseClusterBlock, fix: blockFix},
	{status: only429, says: []string{"rejected_execution", "rejected execution", "indexing_pressure", "indexing pressure"}, when: notSearchPool, cause: CauseBackpressure, fix: backpressureFix},
	{status: only429, cause: CauseThrottled, fix: throttleFix},
	{status: deniedStatus, says: []string{"throttl", "rate exceeded", "too many requests", "slow down"}, codes: throttleCodes, cause: CauseThrottled, fix: throttleFix},
	{status: only400, codes: throttleCodes, cause: CauseThrottled, fix: throttleFix},
	{status: refusedStatus, says: []string{"kmskeyid", "kms key", "kms:", "kmsaccessdenied", "kmsinvalidstate"}, cause: CauseKMSKey, fix: kmsFix},
	{status: awsAuthStatus, says: []string{"is not allowed"}, when: namesRequest, cause: CauseUnsupported, fix: unsupportedFix},
	{status: awsAuthStatus, says: []string{"signature expired", "signature not yet current"}, codes: []string{"RequestTimeTooSkewed", "RequestExpired"}, cause: CauseClockSkew, fix: skewFix},
	{status: awsAuthStatus, says: []string{"credential should be scoped to", "credential must be scoped to", "scoped to a valid region", "scoped to correct service"}, cause: CauseCredentialScope, fix: scopeFix},
	{status: awsAuthStatus, says: []string{"signature we calculated does not match", "code=invalidsignature", "invalid signature, does not match"}, codes: []string{"SignatureDoesNotMatch"}, cause: CauseSignatureMismatch, fix: mismatchFix},
	{status: awsAuthStatus, says: []string{"security token included in the request is", "access key id you provided does not exist", "token has expired", "token is expired"}, codes: []string{"ExpiredToken", "UnrecognizedClient", "InvalidClientTokenId"}, cause: CauseInvalidToken, fix: tokenFix},
	{status: authStatus, says: []string{"authorization header requires", "in authorization header: '"}, cause: CauseNotSigV4, fix: notSigV4Fix},
	{status: refusedStatus, says: []string{"x-amz-content-sha256 header must be signed"}, cause: CauseServerless, fix: serverlessFix},
	{status: awsAuthStatus, says: []string{"sts:assumerole", "sts:tagsession", "sts:setsourceidentity"}, cause: CauseAccessPolicy, fix: trustFix},
	{status: awsAuthStatus, service: "sts", says: []string{"is not authorized to perform", "access denied"}, codes: []string{"AccessDenied"}, cause: CauseAccessPolicy, fix: trustFix},
	{status: awsAuthStatus, says: []string{"openidconnect provider", "openid connect provider"}, codes: []string{"InvalidIdentityToken"}, cause: CauseOther, fix: oidcFix},
	{status: only401, service: "osis", cause: CauseInvalidToken, fix: ingestionFix},
	{status: only403, service: "aoss", when: serverlessUnsupported, cause: CauseUnsupported, fix: serverlessUnsupportedFix},
	{status: awsAuthStatus, service: "aoss", says: []string{"not supported", "unsupported"}, cause: CauseUnsupported, fix: serverlessUnsupportedFix},
	{status: authStatus, service: "aoss", when: notPolicyDenial, cause: CauseServerless, fix: serverlessFix},
	{status: authStatus, says: []string{"authorization_exception", "user does not have permissions for the requested resource"}, cause: CauseServerless, fix: serverlessFix},
	{status: authStatus, says: []string{"is not authorized to perform"}, cause: CauseAccessPolicy, fix: policyFix},
	{status: only403, says: []string{"is read-only"}, when: securityAPI, cause: CauseOther, fix: reservedFix},
	{status: authStatus, says: []string{"no permission to access rest api"}, cause: CauseFineGrainedAccess, fix: restAPIFix},
	{status: only403, says: []string{"forbidden", "access denied"}, when: securityAPI, cause: CauseFineGrainedAccess, fix: restAPIFix},
	{status: authStatus, when: tenantInfo, cause: CauseFineGrainedAccess, fix: tenantInfoFix},
	{status: authStatus, says: []string{"security_exception", "no permissions for ["}, cause: CauseFineGrainedAccess, fix: fgacFix},
	{status: only401, cause: CauseUnauthorized, fix: unauthorizedFix},
	{status: only403, when: headWithoutBody, cause: CauseOther, fix: headFix},
	{status: awsAuthStatus, says: []string{"may not be assumed by root"}, cause: CauseOther, fix: rootFix},
	{status: only403, says: []string{"x-www-form-urlencoded"}, cause: CauseOther, fix: formFix},
	{status: only403, cause: CauseOther, fix: otherFix},
}

// matches reports whether the rule applies to r.
func (ru *rule) matches(r *refusal) bool {
	if !slices.Contains(ru.status, r.status) || (ru.service != "" && ru.service != r.service) {
		return false
	}
	if len(ru.says) > 0 || len(ru.codes) > 0 {
		said := slices.ContainsFunc(ru.says, func(s string) bool { return strings.Contains(r.lower, s) })
		coded := r.code != "" && slices.ContainsFunc(ru.codes, func(c string) bool { return strings.HasPrefix(strings.TrimPrefix(r.code, "#"), c) })
		if !said && !coded {
			return false
		}
	}
	return ru.when == nil || ru.when(r)
}

// throttleCodes are AWS's error codes for throttling (STS answers
// "Throttling" with 400).
var throttleCodes = []string{"Throttling", "TooManyRequests", "RequestLimitExceeded"}

// notYet is what a fix adds when the body cannot tell a permission never
// granted from one granted a moment ago.
const notYet = " If it was granted just now, it may not have taken effect yet: retry in a minute."

var (
	reCanonical    = regexp.MustCompile(`(?s)The Canonical String for this request should have been\n'(.*?)'\n\nThe String-to-Sign should have been\n'(.*?)'`)
	reSkew         = regexp.MustCompile(`Signature (?:expired|not yet current): (\d{8}T\d{6}Z)`)
	rePolicy       = regexp.MustCompile(`User: (\S+) is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?:\.?(?: because|$|\s))`)
	reBlock        = regexp.MustCompile(`blocked by: \[([^\]]+)\]`)
	reScopeService = regexp.MustCompile(`scoped to correct service: '([a-z0-9-]+)'`)
	reFGAC         = regexp.MustCompile(`no permissions for \[([^\]]*)\] and User \[name=([^,\]]*)(?:, backend_roles=\[([^\]]*)\])?`)
	reRequestPath  = regexp.MustCompile(`(?i)your request: '([^']*)'`)
	reTenant       = regexp.MustCompile(`requestedTenant=([^\],\s]+)`)
	reSizeLimit    = regexp.MustCompile(`(?i)(?:exceeded|exceeds|larger than|maximum(?: size)?(?: of)?) \[?(\d+)\]? ?bytes`)
)

// namesRequest: AWS's "Your request: '/path' is not allowed".
func namesRequest(r *refusal) bool { return strings.Contains(r.lower, "your request: '") }

// notPolicyDenial: not a "User: ... is not authorized to perform" message.
func notPolicyDenial(r *refusal) bool { return !rePolicy.MatchString(r.msg) }

// notSearchPool: a rejection by a pool other than search's, which is
// throttling of searches rather than backpressure on writes.
func notSearchPool(r *refusal) bool {
	return !strings.Contains(r.lower, "executor[search") && !strings.Contains(r.lower, "[name = search") && !strings.Contains(r.lower, "search_backpressure")
}

// serverlessUnsupported: a Serverless refusal of a path that names an API
// Serverless does not offer; its gateway refuses such a name anywhere in
// the path, even inside a document id.
func serverlessUnsupported(r *refusal) bool {
	return !rePolicy.MatchString(r.msg) && slices.ContainsFunc(serverlessWithheld, func(api string) bool { return strings.Contains(r.path, api) })
}

// serverlessWithheld are API names OpenSearch Serverless does not offer.
var serverlessWithheld = []string{"_stats", "_nodes", "_cluster/state", "_cluster/settings", "_cluster/reroute", "_snapshot", "_tasks", "_cat/nodes", "_cat/shards", "_forcemerge", "_shrink", "_split", "_cache/clear"}

// securityAPI: the security plugin's REST API.
func securityAPI(r *refusal) bool { return strings.Contains(r.path, "/_security/api/") }

// tenantInfo: the security plugin's tenantinfo API.
func tenantInfo(r *refusal) bool { return strings.Contains(r.path, "/_security/tenantinfo") }

// headWithoutBody: the refusal of a HEAD request, which has no body.
func headWithoutBody(r *refusal) bool { return r.method == http.MethodHead && r.msg == "" }
