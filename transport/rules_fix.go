package transport

import (
	"net/http"
	"strings"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
)

// The fix builders of the rules: each writes a diagnosis's fix, in words
// that name what to change, and the evidence it read from the refusal.

func tooLargeFix(r *refusal, d *Diagnosis) {
	fix := "the request is larger than the endpoint accepts"
	if m := reSizeLimit.FindStringSubmatch(r.msg); m != nil {
		fix += " (" + m[1] + " bytes)"
	}
	d.Fix = fix + ": Amazon OpenSearch Service limits an HTTP request's payload by instance type (10 MiB on the smallest, 100 MiB on most), and OpenSearch by http.max_content_length. " +
		"Split it: send smaller bulk batches (a few MiB each), or move to an instance type with a larger payload limit; no retry of the same request can succeed."
}

func backpressureFix(_ *refusal, d *Diagnosis) {
	d.Fix = "OpenSearch is pushing back: a write thread pool's queue or shard indexing pressure is full, so the cluster cannot take requests as fast as they come. " +
		"Back off and retry the rejected requests (or bulk items) with exponential backoff and jitter; send smaller bulk requests, and fewer at once; " +
		"if it lasts, scale the domain (more or larger data nodes) and check JVMMemoryPressure and the write thread pool's rejections in CloudWatch."
}

func throttleFix(r *refusal, d *Diagnosis) {
	fix := "AWS or OpenSearch limits the rate of requests, and this one went over it: back off and retry with exponential backoff and jitter"
	if ra := r.header.Get("Retry-After"); ra != "" {
		fix += " (the response asks for Retry-After: " + ra + ")"
	}
	switch {
	case strings.Contains(r.lower, "circuit_breaking") || strings.Contains(r.lower, "data too large"):
		fix += ": a circuit breaker tripped, the request would take more JVM heap (memory) than the node may give it; make it smaller (fewer buckets in an aggregation, a smaller size, smaller bulk requests), and if JVMMemoryPressure stays high, add heap or nodes"
	case strings.Contains(r.lower, "rejected execution") || strings.Contains(r.lower, "rejected_execution"):
		fix += ": the search thread pool's queue is full; send fewer concurrent searches, make them cheaper, or scale the domain (more or larger data nodes, more replicas)"
	}
	d.Fix = fix + "; for bulk indexing, send smaller batches, fewer at once. Credentials and policies are not the cause."
}

func serverlessUnsupportedFix(r *refusal, d *Diagnosis) {
	d.Hint = r.header.Get("X-Aoss-Response-Hint")
	if !serverlessUnsupported(r) {
		d.Fix = "OpenSearch Serverless does not support what this request asks (" + strings.TrimSuffix(r.msg, ".") + "): drop it for Serverless. It makes writes searchable within seconds by itself (no refresh=true, no _refresh), and it does not serve GET / or the cluster and node APIs."
		return
	}
	api := ""
	for _, a := range serverlessWithheld {
		if strings.Contains(r.path, a) {
			api = a
			break
		}
	}
	d.Fix = "OpenSearch Serverless does not offer " + api + ", and its gateway refuses any path that holds that name, even inside an index name or a document id (" + r.path + "): " +
		"rename the document id or index so that the path does not contain " + api + ", or use an API Serverless supports."
}

func oidcFix(_ *refusal, d *Diagnosis) {
	d.Fix = "AWS STS found no IAM OpenID Connect identity provider for the web identity token's issuer in the account of the role named: check the role ARN (its account) and register that issuer as an OIDC provider in IAM of the role's account."
}

func reservedFix(_ *refusal, d *Diagnosis) {
	d.Fix = "the security plugin's REST API does not change a reserved or static resource (the demo admin user, built-in roles), whatever the caller's roles: change it in the security configuration files (internal_users.yml, roles.yml) and load them with securityadmin.sh, or call the API with the admin certificate."
}

func tenantInfoFix(_ *refusal, d *Diagnosis) {
	d.Fix = "the security plugin answers GET _plugins/_security/tenantinfo only to the OpenSearch Dashboards server user (kibanaserver, or a user mapped to the kibana_server role), not to admins: call it as that user."
}

func rootFix(_ *refusal, d *Diagnosis) {
	d.Fix = "the request was signed with the AWS account's root user credentials, and a root user may not assume roles: sign with an IAM user's or an IAM role's credentials instead (and do not use root access keys at all)."
}

func formFix(_ *refusal, d *Diagnosis) {
	d.Fix = "AWS refuses a request sent with Content-Type: application/x-www-form-urlencoded whose URL has a query string: send the body with Content-Type: application/json (application/x-ndjson for _bulk), which OpenSearch expects anyway."
}

func kmsFix(r *refusal, d *Diagnosis) {
	principal := ""
	if m := rePolicy.FindStringSubmatch(r.msg); m != nil {
		principal, d.Action, d.Resource = roleARN(m[1]), m[2], m[3]
		d.Principal = m[1]
	}
	who := "the role that makes the request (or that the service uses)"
	if principal != "" {
		who = principal
	}
	d.Fix = "the AWS KMS key that encrypts the data refused " + who + ": allow kms:DescribeKey and kms:Decrypt (kms:CreateGrant to create a domain or collection with it) on that key, " +
		"in the principal's IAM policy and in the key's key policy, and check the key is enabled and in the same region." + notYet
}

func unsupportedFix(r *refusal, d *Diagnosis) {
	path := r.path
	if m := reRequestPath.FindStringSubmatch(r.msg); m != nil {
		path = m[1]
	}
	fix := "Amazon OpenSearch Service does not offer " + orUnknown(path) + " to its clients (a managed domain withholds some cluster APIs, whatever the credentials or role mapping)"
	if alt := alternative(path); alt != "" {
		d.Fix = fix + ": " + alt
		return
	}
	d.Fix = fix + ": use another API for what you need (see \"Supported operations\" in the Amazon OpenSearch Service guide), or change the setting through the domain's configuration (aws opensearch update-domain-config)."
}

// alternatives name the API to use instead of one a managed domain does
// not offer, by path prefix.
var alternatives = []struct{ prefix, alt string }{
	{"/_dashboards/", "the path starts with OpenSearch Dashboards' prefix, which is for the browser: send API requests to the domain's endpoint without it (remove /_dashboards from the client's URL)."},
	{"/_dashboard/", "the path starts with a Dashboards prefix, which is for the browser: send API requests to the domain's endpoint without it (remove the prefix from the client's URL)."},
	{"/_plugin/kibana/", "the path starts with Kibana's prefix, which is for the browser: send API requests to the domain's endpoint without it (remove the prefix from the client's URL)."},
	{"/_cluster/state", "read what you need from GET _cluster/health, GET _cat/indices, GET _cat/shards, GET _cat/nodes, or an index's GET INDEX/_mapping and GET INDEX/_settings."},
	{"/_cluster/settings", "change the settings a managed domain lets you change through its configuration (aws opensearch update-domain-config --advanced-options, or the console), and read them with GET _cluster/settings."},
	{"/_nodes/", "read node figures from GET _nodes/stats, GET _cat/nodes or CloudWatch metrics."},
	{"/_search/point_in_time", "point in time search needs OpenSearch 2.4 or later on the domain: upgrade it, or page with search_after or a scroll."},
	{"/_pit", "point in time search needs OpenSearch 2.4 or later on the domain: upgrade it, or page with search_after or a scroll."},
	{"/_cluster/reroute", "shard allocation is the managed service's: open a case with AWS support, or change replicas and allocation with the index's settings."},
	{"/_snapshot", "register a snapshot repository with a request signed by a principal allowed iam:PassRole on the snapshot role (and, with fine-grained access control, mapped to manage_snapshots); AWS's own automated snapshots are under cs-automated."},
}

func alternative(path string) string {
	for _, a := range alternatives {
		if strings.HasPrefix(path, a.prefix) {
			return a.alt
		}
	}
	return ""
}

func skewFix(r *refusal, d *Diagnosis) {
	if m := reSkew.FindStringSubmatch(r.msg); m != nil {
		d.SigningTime, _ = time.Parse("20060102T150405Z", m[1])
	} else if r.req != nil {
		d.SigningTime, _ = time.Parse("20060102T150405Z", r.req.Header.Get("X-Amz-Date"))
	}
	d.ServerTime, _ = http.ParseTime(r.header.Get("Date"))
	d.Fix = "this machine's clock differs from AWS's by more than 5 minutes"
	if !d.ServerTime.IsZero() && !d.SigningTime.IsZero() {
		d.Fix += " (AWS: " + d.ServerTime.UTC().Format(time.RFC3339) + ", signed at: " + d.SigningTime.UTC().Format(time.RFC3339) +
			", off by " + d.SigningTime.Sub(d.ServerTime).Round(time.Second).String() + ")"
	}
	d.Fix += ": synchronise it (chrony, systemd-timesyncd). The transport learns the offset from the response's Date header and retries once."
}

// scopeFix names the region and service signed and what the host name
// says of them. The transport adds where each came from.
func scopeFix(r *refusal, d *Diagnosis) {
	fix := "the request was signed for region " + orUnknown(d.SignedRegion) + " and service " + orUnknown(d.SignedService)
	if m := reScopeService.FindStringSubmatch(r.msg); m != nil && m[1] != d.SignedService {
		d.Fix = fix + ", but AWS expects service " + m[1] + ": set the Service option (sigv4 --service) to " + m[1] +
			` ("es" for a managed domain, "aoss" for a Serverless collection), or leave it unset for an AWS host name, which decides.`
		return
	}
	if r.req != nil {
		host := requestHost(r.req)
		if ep, ok := credentials.ParseEndpoint(host); ok {
			d.Fix = fix + ", but the host name " + host + " names region " + ep.Region + " and service " + ep.Service +
				": sign for those (leave the Region and Service options, sigv4 --region and --service, unset: the host name decides)."
			return
		}
	}
	d.Fix = fix + ", which AWS does not accept for this endpoint: set the Region option (sigv4 --region) to the domain's region, and the Service option (sigv4 --service) to \"es\" for a managed domain or \"aoss\" for a Serverless collection."
}

func mismatchFix(r *refusal, d *Diagnosis) {
	if m := reCanonical.FindStringSubmatch(r.msg); m != nil {
		d.AWSCanonicalRequest, d.AWSStringToSign = m[1], m[2]
	}
	if r.req != nil {
		d.SignedCanonicalRequest, d.SignedStringToSign, _ = signer.Canonical(r.req)
		d.SignedCanonicalRequest, _ = redactMessage(d.SignedCanonicalRequest, requestSecrets(r.req))
	}
	d.Fix = mismatchWhy(r, d)
}

// mismatchWhy compares the canonical request AWS computed with the one
// signed, line by line, and says what differs.
func mismatchWhy(r *refusal, d *Diagnosis) string {
	a, o := strings.Split(d.AWSCanonicalRequest, "\n"), strings.Split(d.SignedCanonicalRequest, "\n")
	if d.AWSCanonicalRequest == "" || d.SignedCanonicalRequest == "" {
		fix := "the request AWS received is not the one that was signed: something changed it after signing, or the signer canonicalised it differently from how it was sent " +
			"(a query re-encoded or its parameters out of order, a body compressed with gzip or replaced after signing, a body with non-ASCII characters hashed as characters rather than as its UTF-8 bytes, " +
			"a GET with a body: send it as POST, a path or Host rewritten by a proxy, " +
			"a header among the signed headers that the HTTP library or a proxy sets or changes, such as User-Agent, Connection or Content-Length: sign only the headers that must be), " +
			"or it was signed with the wrong secret key, region or service"
		if r.service == "aoss" {
			fix += ". OpenSearch Serverless also needs the payload's hash signed in x-amz-content-sha256 (a client that signs a body without it fails on every request with a body), and the service \"aoss\""
		}
		if r.req != nil {
			if _, ok := credentials.ParseEndpoint(requestHost(r.req)); !ok {
				fix += ". The request went to " + requestHost(r.req) + ", not an AWS host name: through a tunnel or proxy, sign for the host AWS sees with the SigningHost option (sigv4 --signing-host)"
			}
		}
		return fix + "."
	}
	if len(a) > 1 && len(o) > 1 && a[1] != o[1] {
		return "the path differs: something between this transport and AWS (a proxy, or a client adding a path prefix) rewrote it after signing."
	}
	if len(a) > 2 && len(o) > 2 && a[2] != o[2] {
		return "the query differs: something re-encoded it after signing."
	}
	if h1, h2 := headerLine(a, "host:"), headerLine(o, "host:"); h1 != "" && h2 != "" && h1 != h2 {
		return "the host differs: this request was signed for " + h2 + " but AWS saw " + h1 + " (a tunnel, a port forward or a proxy in between?): sign for the host AWS sees with the SigningHost option (sigv4 --signing-host " + h1 + ")."
	}
	if len(a) > 2 && len(o) > 2 && a[len(a)-2] != o[len(o)-2] { // the signed headers' names
		return "the signed headers differ: AWS received a request signed otherwise than this transport signs it (a client or proxy that signs on its own, re-encoding the query or the body after this transport)."
	}
	if d.AWSCanonicalRequest != d.SignedCanonicalRequest {
		return "a signed header differs: something changed it in flight (a proxy rewriting Content-Type or an x-amz-* header?)."
	}
	return "AWS computed the same canonical request, so the key is wrong: the secret access key does not match the access key id, or the region or service in the credential scope is not the domain's."
}

func tokenFix(r *refusal, d *Diagnosis) {
	d.Expired = strings.Contains(r.lower, "expired") || strings.HasPrefix(r.code, "ExpiredToken")
	d.Fix = "the session token (or the access key it belongs to) is not accepted, or has expired: refresh the credentials, and check that the token is sent with the key it was issued with (for a web identity, fetch a new ID token before calling STS again). " +
		"An access key of a region you have not opted in to, or of another partition, is unknown there too. The transport invalidates its cache and retries once by itself when the body can be replayed."
}

func notSigV4Fix(r *refusal, d *Diagnosis) {
	if strings.Contains(r.msg, "Authorization=AWS4-HMAC-SHA256 ") {
		d.Fix = "a SigV4 Authorization header reached AWS without a part it needs"
		if strings.Contains(r.lower, "x-amz-date") && !strings.Contains(r.lower, "'credential' parameter") {
			d.Fix += ": the X-Amz-Date header it signed was not sent (a proxy or client dropped it after signing); send the request as signed, with X-Amz-Date."
			return
		}
		d.Fix += ": a client or proxy rewrote the header after signing; send the request as this transport signed it."
		return
	}
	d.Fix = "an Authorization header that is not a SigV4 signature (basic auth, a bearer or Cognito token) reached AWS, which reads every Authorization header as SigV4. " +
		"Remove the username and password (or the token) from the client and send its requests through the signing transport (or sigv4 proxy); a proxy in between must not add an Authorization header of its own."
}

// blockFix explains an index or cluster block.
func blockFix(r *refusal, d *Diagnosis) {
	if m := reBlock.FindStringSubmatch(r.msg); m != nil {
		d.Block = m[1]
	}
	fix := "OpenSearch refused the write because of an index or cluster block"
	if d.Block != "" {
		fix += " (" + d.Block + ")"
	}
	fix += ", not because of credentials: no credential, policy or role mapping change fixes it. "
	switch {
	case strings.Contains(d.Block, "/12/"):
		fix += "This block is set when a data node runs out of free storage (the flood-stage watermark): check FreeStorageSpace in CloudWatch, free space (delete old indices) or add storage, then clear it: PUT INDEX/_settings {\"index.blocks.read_only_allow_delete\": null}. " +
			"An UltraWarm (warm) index is read-only too: migrate it back to hot storage to write to it."
	case strings.Contains(d.Block, "FORBIDDEN/8/"):
		fix += "Amazon OpenSearch Service blocks writes when free storage runs low or JVM memory pressure stays high: check FreeStorageSpace and JVMMemoryPressure in CloudWatch and add storage or capacity; the block lifts once they recover (or clear index.blocks.write once it is safe)."
	default:
		fix += "Check the cluster's free storage and JVM memory pressure in CloudWatch, and the index's blocks (GET INDEX/_settings); clear the block once its cause is gone."
	}
	d.Fix = fix
}

// trustFix explains STS refusing sts:AssumeRole.
func trustFix(r *refusal, d *Diagnosis) {
	if m := rePolicy.FindStringSubmatch(r.msg); m != nil {
		d.Principal, d.Action, d.Resource = m[1], m[2], m[3]
	}
	d.Fix = "AWS STS refused to let " + orUnknown(roleARN(d.Principal)) + " assume the role " + orUnknown(d.Resource) + ": this is the role's trust policy, not the domain's access policy. " +
		"The role's trust policy must name the caller as a Principal allowed sts:AssumeRole, and the caller's own IAM policy must allow sts:AssumeRole on the role." + notYet
}

// ingestionFix explains OpenSearch Ingestion's bare 401.
func ingestionFix(_ *refusal, d *Diagnosis) {
	d.Fix = "OpenSearch Ingestion answers a bare 401 to credentials it does not accept, expired ones most often: refresh the credentials (the transport invalidates its cache and retries once when the body can be replayed), " +
		"sign for service \"osis\" in the pipeline's region, and allow osis:Ingest on the pipeline in the principal's IAM policy."
}

// serverlessFix explains an OpenSearch Serverless refusal.
func serverlessFix(r *refusal, d *Diagnosis) {
	d.Hint = r.header.Get("X-Aoss-Response-Hint")
	fix := "OpenSearch Serverless refused the request"
	if d.Hint != "" {
		fix += " (hint " + d.Hint + ")"
	}
	if strings.Contains(r.lower, "x-amz-content-sha256") || (r.req != nil && !r.authz.Signs("x-amz-content-sha256")) {
		d.Fix = fix + ": x-amz-content-sha256 was not signed, and Serverless requires it signed; sign with this transport (service \"aoss\"), which always signs it."
		return
	}
	if r.req != nil && d.SignedRegion != "" {
		if ep, ok := credentials.ParseEndpoint(requestHost(r.req)); ok && ep.Service == "aoss" && ep.Region != d.SignedRegion {
			d.Fix = fix + ": the request was signed for region " + d.SignedRegion + " but the collection is in " + ep.Region + ": sign for " + ep.Region + " (leave the Region option, sigv4 --region, unset: the host name decides)."
			return
		}
	}
	d.Fix = fix + ". Serverless has no role mapping and no fine-grained access control; it allows a principal that (1) a data access policy of the collection names, with the permission for this request (aoss:ReadDocument, aoss:WriteDocument, aoss:CreateIndex, ...), " +
		"and (2) whose IAM policy allows aoss:APIAccessAll (aoss:DashboardsAccessAll for Dashboards). Check both for the role that signed, that the request is signed for the collection's region, and that a network policy lets this client reach the collection; " +
		"a client other than this transport must also sign x-amz-content-sha256, or Serverless refuses every request with a body, and must not sign Content-Length or Connection, which its gateway changes." + notYet
}

// policyFix explains an access policy or IAM policy denial.
func policyFix(r *refusal, d *Diagnosis) {
	m := rePolicy.FindStringSubmatch(r.msg)
	if m != nil {
		d.Principal, d.Action, d.Resource = m[1], m[2], m[3]
	}
	says := policySays(r.lower)
	switch {
	case strings.EqualFold(d.Action, "iam:PassRole"):
		d.Fix = says + "registering a snapshot repository passes the snapshot role (" + orUnknown(d.Resource) + "): send that request signed (an unsigned one is anonymous) by a principal whose IAM policy allows iam:PassRole on the role, " +
			"and, with fine-grained access control, map that principal to the manage_snapshots role." + notYet
	case d.Principal == "anonymous":
		d.Fix = says + "the request reached the domain unsigned, or signed for a domain whose access policy could not place the principal: make sure it goes through the signing transport (and that no proxy strips the Authorization header). " +
			"The access policy's Resource must end in /* (" + domainResource(d.Resource) + ") to cover the domain's paths. " +
			"If the access policy grants by IP address (aws:SourceIp), it is what refused this request: the address AWS saw is not in it (for a VPC domain that is the client's private address, for a public domain its public or NAT address), and an IP-based policy applies only to unsigned requests." + notYet
	case r.service == "aoss" || strings.HasPrefix(d.Action, "aoss:"):
		d.Fix = says + "allow " + d.Action + " for " + roleARN(d.Principal) + " in its IAM policy (OpenSearch Serverless needs aoss:APIAccessAll, or aoss:DashboardsAccessAll for Dashboards), and name it in a data access policy of the collection." + notYet
	case strings.HasPrefix(d.Action, "es:ESHttp"):
		d.Fix = says + "allow " + d.Action + " for " + roleARN(d.Principal) + " in the domain's access policy (\"Principal\": {\"AWS\": \"" + roleARN(d.Principal) + "\"}) or in that principal's IAM policy; an explicit deny in either wins. " +
			"The policy's Resource must cover the paths: " + domainResource(d.Resource) + ", with /* (the domain's ARN alone allows its configuration API, not the HTTP paths under it)." + notYet
	default:
		d.Fix = says + "allow " + orUnknown(d.Action) + " for " + roleARN(orUnknown(d.Principal)) + " in that principal's IAM policy (or, for a domain, in the domain's access policy); an explicit deny in either wins." + notYet
	}
}

// policyKinds name the policy AWS says refused a request ("... because no
// identity-based policy allows ...", "... with an explicit deny in a
// service control policy"), in AWS's words, with where to change it.
var policyKinds = []struct{ says, where string }{
	{"identity-based policy", "the IAM policy of the principal that signed (its role's or user's policies)"},
	{"resource-based policy", "the resource's own policy (a domain's access policy, a key policy, a role's trust policy)"},
	{"service control policy", "a service control policy of AWS Organizations, over the account (an organization administrator changes it)"},
	{"resource control policy", "a resource control policy of AWS Organizations (an organization administrator changes it)"},
	{"permissions boundary", "the permissions boundary of the principal's role or user"},
	{"session policy", "the session policy passed when the role was assumed"},
	{"vpc endpoint policy", "the policy of the VPC endpoint the request went through"},
}

// policySays is what AWS's message says of which policy refused, as the
// start of a fix, or "" when it does not say.
func policySays(lower string) string {
	deny := strings.Contains(lower, "explicit deny")
	for _, k := range policyKinds {
		if strings.Contains(lower, k.says) {
			if deny {
				return "AWS says an explicit deny in " + k.where + " refused it: no allow elsewhere overrides a deny, so that statement must change. Otherwise, "
			}
			return "AWS says no statement in " + k.where + " allows it: add one there. "
		}
	}
	return ""
}

// domainResource is the access policy Resource that covers every path of
// the domain a resource ARN names.
func domainResource(resource string) string {
	if i := strings.Index(resource, ":domain/"); i >= 0 {
		name, _, _ := strings.Cut(resource[i+len(":domain/"):], "/")
		return resource[:i] + ":domain/" + name + "/*"
	}
	return "arn:aws:es:REGION:ACCOUNT:domain/DOMAIN/*"
}

func restAPIFix(r *refusal, d *Diagnosis) {
	d.Fix = "the security REST API (_plugins/_security/api) answers only the master user and roles allowed to manage security: call it as the master user, or, as the master user, map the caller to all_access or security_manager first."
	if strings.Contains(r.path, "/securityconfig") {
		d.Fix += " Changing securityconfig through the REST API is off for everyone unless plugins.security.unsupported.restapi.allow_securityconfig_modification is true (in newer versions, the restapi:admin/config/update permission); otherwise change config.yml and load it with securityadmin.sh, with the admin certificate."
	}
}

// fgacFix explains a fine-grained access control denial and builds the
// role-mapping request: an IAM role goes under backend_roles, an IAM user
// or an internal user under users.
func fgacFix(r *refusal, d *Diagnosis) {
	if m := reFGAC.FindStringSubmatch(r.msg); m != nil {
		d.Action, d.User = m[1], strings.TrimSpace(m[2])
		for _, role := range strings.Split(m[3], ",") {
			if role = strings.TrimSpace(role); role != "" {
				d.BackendRoles = append(d.BackendRoles, role)
			}
		}
	}
	principal, field := d.User, "users"
	for _, role := range d.BackendRoles {
		if strings.Contains(role, ":role/") || strings.Contains(role, ":assumed-role/") {
			principal, field = role, "backend_roles"
			break
		}
	}
	if field == "users" && (strings.Contains(principal, ":role/") || strings.Contains(principal, ":assumed-role/")) {
		field = "backend_roles"
	}
	if field == "backend_roles" {
		principal = roleARN(principal)
	}
	if principal != "" {
		d.RoleMappingRequest = "PATCH _plugins/_security/api/rolesmapping/ROLE\n" +
			`[{"op": "add", "path": "/` + field + `/-", "value": "` + principal + `"}]`
	}
	what := "as a backend role of a role that does"
	if field == "users" {
		what = "as a user of a role that does"
	}
	fix := "fine-grained access control maps " + orUnknown(principal) + " to no role that allows " + orUnknown(d.Action) + ". "
	switch {
	case d.User == "anonymous":
		fix += "OpenSearch took the request for the anonymous user: it carried no credentials OpenSearch accepted. Send credentials (through the signing transport for a managed domain, or an internal user's), or, to serve anonymous requests, map opendistro_security_anonymous_backendrole to a role that allows the action. "
	case d.User == "":
		fix += "OpenSearch does not say whom it took the caller for: check the domain's access policy and the principal's IAM policy too (es:ESHttp* on the domain's ARN with /*), and see who OpenSearch takes you for with GET _plugins/_security/authinfo (sigv4 whoami). "
	}
	if allIndices(r.path) {
		fix += r.path + " asks about every index, and a role that covers only some is refused: name the indices the role covers (an index pattern such as logs-*), " +
			"or let the security plugin leave out the indices the user may not see (do_not_fail_on_forbidden: true in its config). "
	}
	if m := reTenant.FindStringSubmatch(r.msg); m != nil && m[1] != "null" && m[1] != "__user__" {
		fix += "The request names the tenant " + m[1] + " (the securitytenant header): the user's roles must allow that tenant (tenant_permissions), or request a tenant they allow. "
	}
	if d.Action == "" && strings.Contains(r.msg, "no permissions for []") {
		fix += "An empty permission list means the request reaches an index the security plugin keeps for itself (.opendistro_security, or .plugins-security): only the admin certificate may change it, so name your own indices instead of all of them. "
	}
	if strings.HasPrefix(d.Action, "cluster:monitor/main") {
		fix += "OpenSearch Dashboards needs cluster:monitor/main for every user it logs in: map the user to opensearch_dashboards_user (kibana_user) as well. "
	}
	d.Fix = fix + "As the master user, map it " + what + " (ROLE below, a role mapping; PATCH adds to the mapping instead of replacing it), or give a role it already has the permission (cluster_permissions, or index_permissions for the index); " +
		"an internal user's backend_roles are not security roles:\n" + d.RoleMappingRequest
}

// allIndices reports whether a path asks about every index.
func allIndices(path string) bool {
	for _, p := range []string{"/_cat/indices", "/_cat/shards", "/_cat/count", "/_stats", "/_all", "/*", "/_search", "/_mapping", "/_settings"} {
		if rest, ok := strings.CutPrefix(path, p); ok && (rest == "" || rest == "/" || rest == "/*" || rest == "/_all") {
			return true
		}
	}
	return false
}

func unauthorizedFix(r *refusal, d *Diagnosis) {
	d.Fix = "OpenSearch's security plugin (fine-grained access control) did not accept the caller's credentials: an IAM principal must be mapped to an OpenSearch role (a role ARN under backend_roles, an IAM user ARN under users) or be the master user, and an internal user's name and password must be right " +
		"(for OpenSearch Dashboards, opensearch.username and opensearch.password; with OpenID Connect or JWT authentication, the bearer must be a JWT, the ID token, from the configured issuer). See who OpenSearch takes you for with GET _plugins/_security/authinfo (sigv4 whoami), and map it as the master user. If the same credentials worked a moment ago, retry: the plugin's user cache may have expired under the request."
	if r.service == "es" {
		d.Fix += " On Amazon OpenSearch Service a 401 also refuses an API or a setting the managed service does not offer (\"Your request: '...' is not allowed\"): check its supported operations (of /_cluster/settings, only a few keys may be changed)."
	}
}

func headFix(r *refusal, d *Diagnosis) {
	d.Cause = causeFromType(r.code)
	d.Fix = "AWS sends no body with its answer to a HEAD request, so the reason is not known" + typeSays(r.code) + ": send the same request as a GET to see it (sigv4 -v shows the diagnosis)."
}

func otherFix(r *refusal, d *Diagnosis) {
	switch {
	case r.msg == "" && r.code != "":
		d.Fix = "the response had no message, only the error type " + r.code + ": check the domain's access policy and that the request reached the domain you meant."
	case r.msg == "":
		d.Fix = "the response had no message; check the domain's access policy and that the request reached the domain you meant."
	case strings.Contains(r.lower, "missing authentication token"):
		d.Fix = "AWS found no signature it could read, or no such API at this URL: send the request through the signing transport, and check the endpoint and path (the domain's endpoint, not the configuration API's, and no path prefix)."
	default:
		d.Fix = "no known cause matches this message: check the domain's access policy (or the collection's data access policy), the IAM policy of the principal that signed, and, with fine-grained access control, its role mapping (sigv4 whoami)." + notYet
	}
}

// causeFromType maps AWS's X-Amzn-Errortype, all a HEAD refusal carries.
func causeFromType(errType string) Cause {
	switch {
	case strings.HasPrefix(errType, "UnrecognizedClient"), strings.HasPrefix(errType, "ExpiredToken"), strings.HasPrefix(errType, "InvalidClientTokenId"):
		return CauseInvalidToken
	case strings.HasPrefix(errType, "AccessDenied"):
		return CauseAccessPolicy
	}
	return CauseOther
}

func typeSays(errType string) string {
	if errType == "" {
		return ""
	}
	return " beyond its error type, " + errType
}
