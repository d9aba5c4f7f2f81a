package transport_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Bodies in the exact words AWS and OpenSearch use (public issue threads
// and AWS's documentation quote them); only names, ids and times are ours.
const (
	fixtureScopeRegion   = `{"message":"Credential should be scoped to a valid region, not 'us-east-1'. "}`
	fixtureScopeService  = `{"message":"Credential should be scoped to correct service: 'es'. "}`
	fixtureBasicEchoed   = `{"message":"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Basic YWRtaW46U0VOVElORUwtUEFTU1dPUkQ="}`
	fixtureBearerEchoed  = `{"message":"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=eyJraWQiOiJTRU5USU5FTC1CRUFSRVIifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}`
	fixtureMissingEqual  = `{"message":"'YWRtaW46U0VOVElORUwtUEFTU1dPUkQ=' not a valid key=value pair (missing equal-sign) in Authorization header: 'Basic YWRtaW46U0VOVElORUwtUEFTU1dPUkQ='."}`
	fixtureBlockDisk     = `{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"index [logs-2026.11] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];"}],"type":"cluster_block_exception","reason":"index [logs-2026.11] blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];"},"status":403}`
	fixtureBlockWrite    = `{"error":{"root_cause":[{"type":"cluster_block_exception","reason":"index [logs-2026.11] blocked by: [FORBIDDEN/8/index write (api)];"}],"type":"cluster_block_exception","reason":"index [logs-2026.11] blocked by: [FORBIDDEN/8/index write (api)];"},"status":403}`
	fixtureAnonymousIP   = `{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet because no resource-based policy allows the es:ESHttpGet action"}`
	fixtureFGACIAMUser   = `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:user/alice, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:user/alice, backend_roles=[], requestedTenant=null]"},"status":403}`
	fixtureFGACInternal  = `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/write/bulk] and User [name=reporter, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/write/bulk] and User [name=reporter, backend_roles=[], requestedTenant=null]"},"status":403}`
	fixtureRESTAPI       = `{"status":"FORBIDDEN","message":"No permission to access REST API: User arn:aws:iam::123456789012:role/Ops with Security roles [own_index] does not have any role privileged for admin access"}`
	fixtureAOSSSecurity  = `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:role/Reader, backend_roles=[], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:role/Reader, backend_roles=[], requestedTenant=null]"},"status":403}`
	fixtureOtherMessage  = `{"message":"Request forbidden by administrative rules"}`
	fixtureMismatchTunnl = `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/\n\nhost:search-d.us-east-1.es.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20261122T061500Z\n\nhost;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261122T061500Z\n20261122/us-east-1/es/aws4_request\n0000000000000000000000000000000000000000000000000000000000000000'\n"}`
)

// sentVia signs a request for url through a transport with the options
// given and returns it as sent.
func sentVia(t *testing.T, method, url string, fns ...func(*transport.Options)) *http.Request {
	t.Helper()
	base := &captureBase{}
	tr, err := transport.New(append([]func(*transport.Options){func(o *transport.Options) {
		o.Base, o.Region = base, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "SENTINEL-TOKEN-in-request")
	}}, fns...)...)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, url, nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	return base.got
}

// TestDiagnoseWhatUsersHit: one case per cause users run into, each from
// a body of the shape AWS or OpenSearch sends, with what the fix must name
// and what no part of the diagnosis may show.
func TestDiagnoseWhatUsersHit(t *testing.T) {
	es := sentVia(t, "GET", "https://search.example.com/_search") // a custom domain name: the scope is the options'
	aoss := sentVia(t, "POST", "https://abc123.us-east-1.aoss.amazonaws.com/idx/_search", func(o *transport.Options) { o.Region = "" })
	aossUnsigned := aoss.Clone(aoss.Context())
	aossUnsigned.Header.Set("Authorization", strings.Replace(aoss.Header.Get("Authorization"), "x-amz-content-sha256;", "", 1))
	head := sentVia(t, "HEAD", "https://search-d.us-east-1.es.amazonaws.com/idx", func(o *transport.Options) { o.Region = "" })
	tunnel := sentVia(t, "GET", "https://localhost:9200/")

	cases := []struct {
		name   string
		status int
		body   string
		hdr    http.Header
		req    *http.Request
		cause  transport.Cause
		says   []string
		never  []string
	}{
		{"Serverless generic 403", 403, fixtureAOSS, http.Header{"X-Aoss-Response-Hint": {"X01:gw-helper-deny"}}, aoss, transport.CauseServerless,
			[]string{"OpenSearch Serverless refused", "X01:gw-helper-deny", "data access policy", "aoss:APIAccessAll", "aoss:DashboardsAccessAll"}, []string{"rolesmapping"}},
		{"Serverless security_exception", 403, fixtureAOSSSecurity, nil, aoss, transport.CauseServerless,
			[]string{"no role mapping", "data access policy", "aoss:ReadDocument"}, []string{"rolesmapping", "/backend_roles/-"}},
		{"Serverless payload hash not signed", 403, fixtureAOSS, nil, aossUnsigned, transport.CauseServerless,
			[]string{"x-amz-content-sha256 was not signed"}, nil},
		{"basic auth reached AWS", 403, fixtureBasicEchoed, nil, es, transport.CauseNotSigV4,
			[]string{"not a SigV4 signature", "Remove the username and password", "Authorization=Basic <redacted>"}, []string{"YWRtaW46U0VOVElORUwtUEFTU1dPUkQ", "SENTINEL-PASSWORD"}},
		{"bearer token reached AWS", 403, fixtureBearerEchoed, nil, es, transport.CauseNotSigV4,
			[]string{"bearer or Cognito token"}, []string{"eyJraWQiOiJTRU5USU5FTC1CRUFSRVIifQ"}},
		{"basic auth, missing equal sign", 403, fixtureMissingEqual, nil, es, transport.CauseNotSigV4,
			[]string{"not a valid key=value pair"}, []string{"YWRtaW46U0VOVElORUwtUEFTU1dPUkQ"}},
		{"wrong region", 403, fixtureScopeRegion, nil, es, transport.CauseCredentialScope,
			[]string{"signed for region us-east-1 and service es", "set the Region option (sigv4 --region)"}, nil},
		{"wrong service", 403, fixtureScopeService, nil, aoss, transport.CauseCredentialScope,
			[]string{"signed for region us-east-1 and service aoss", "AWS expects service es", "--service"}, nil},
		{"storage block", 403, fixtureBlockDisk, nil, es, transport.CauseClusterBlock,
			[]string{"FORBIDDEN/12/index read-only / allow delete (api)", "no credential, policy or role mapping change fixes it", "FreeStorageSpace", `"index.blocks.read_only_allow_delete": null`}, nil},
		{"write block", 403, fixtureBlockWrite, nil, es, transport.CauseClusterBlock,
			[]string{"FORBIDDEN/8/index write (api)", "JVMMemoryPressure"}, nil},
		{"anonymous, IP policy", 403, fixtureAnonymousIP, nil, es, transport.CauseAccessPolicy,
			[]string{"aws:SourceIp", "reached the domain unsigned"}, nil},
		{"IAM user unmapped", 403, fixtureFGACIAMUser, nil, es, transport.CauseFineGrainedAccess,
			[]string{`"path": "/users/-", "value": "arn:aws:iam::123456789012:user/alice"`, "as a user of a role"}, []string{"/backend_roles/-"}},
		{"internal user unmapped", 403, fixtureFGACInternal, nil, es, transport.CauseFineGrainedAccess,
			[]string{`"path": "/users/-", "value": "reporter"`}, []string{"/backend_roles/-"}},
		{"IAM role unmapped", 403, fixtureFGAC, nil, es, transport.CauseFineGrainedAccess,
			[]string{`"path": "/backend_roles/-", "value": "arn:aws:iam::123456789012:role/SearchRole"`}, nil},
		{"security REST API", 403, fixtureRESTAPI, nil, es, transport.CauseFineGrainedAccess,
			[]string{"security REST API", "master user", "security_manager"}, nil},
		{"401 from fine-grained access control", 401, "Unauthorized", http.Header{"Www-Authenticate": {`Basic realm="Authorization Required"`}}, es, transport.CauseUnauthorized,
			[]string{"401 (not authenticated)", "backend_roles", "authinfo"}, nil},
		{"HEAD without a body", 403, "", nil, head, transport.CauseOther,
			[]string{"no body with its answer to a HEAD request", "as a GET"}, nil},
		{"HEAD, error type only", 403, "", http.Header{"X-Amzn-Errortype": {"AccessDeniedException"}}, head, transport.CauseAccessPolicy,
			[]string{"AccessDeniedException"}, nil},
		{"tunnel: Host is not the domain", 403, fixtureMismatchTunnl, nil, tunnel, transport.CauseSignatureMismatch,
			[]string{"the host differs", "AWS saw search-d.us-east-1.es.amazonaws.com", "SigningHost", "--signing-host search-d.us-east-1.es.amazonaws.com"}, nil},
		{"other, with a message", 403, fixtureOtherMessage, nil, es, transport.CauseOther,
			[]string{"Request forbidden by administrative rules", "no known cause matches", "access policy"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := &http.Response{StatusCode: c.status, Header: c.hdr, Body: io.NopCloser(strings.NewReader(c.body)), Request: c.req}
			if res.Header == nil {
				res.Header = http.Header{}
			}
			err := transport.Diagnose(res)
			var d *transport.Diagnosis
			if !errors.As(err, &d) || d.Cause != c.cause {
				t.Fatalf("Diagnose = %v, want cause %v", err, c.cause)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("diagnosis does not say %q:\n%s", s, err)
				}
			}
			if want := "sigv4/transport: " + d.Explanation(); err.Error() != want || strings.HasPrefix(d.Explanation(), "sigv4/") {
				t.Errorf("Explanation is not Error without its prefix:\n%s\n%s", d.Explanation(), err)
			}
			all := err.Error() + d.Message + d.Fix + d.RoleMappingRequest
			for _, s := range append(c.never, "SENTINEL-TOKEN") {
				if strings.Contains(all, s) {
					t.Errorf("diagnosis shows %q:\n%s", s, err)
				}
			}
			t.Logf("\n%s", err)
		})
	}
}

// TestScopeRefusalNamesSources: through the transport, a scope refusal's
// fix says where the region and service it signed for came from.
func TestScopeRefusalNamesSources(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	res, got := refusedGET(t, "https://search.example.com/", credentials.NewStatic("AKIDEXAMPLE", "secret", ""), "",
		func() io.ReadCloser { return io.NopCloser(strings.NewReader(fixtureScopeRegion)) })
	res.Body.Close()
	if got == nil || !strings.Contains(got.Fix, "The region us-east-1 came from AWS_REGION, the service es from the default.") {
		t.Fatalf("diagnosis: %v", got)
	}
}

// Refusals that are not a 401/403 of credentials, each a body a user
// posted (the source is named above it), and one of the indirect causes.
const (
	// https://github.com/logstash-plugins/logstash-output-opensearch (413
	// from a domain's front door)
	fixtureTooLarge = `{"Message":"Request size exceeded 10485760 bytes"}`
	// https://github.com/exercism/website/issues/7223
	fixtureIndexingPressure = `{"error":{"root_cause":[{"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation [shard_detail=[production-solutions][2][C], shard_coordinating_and_primary_bytes=29490684, shard_operation_bytes=434882, shard_max_coordinating_and_primary_bytes=34694922] OR [node_coordinating_and_primary_bytes=106861195, node_replica_bytes=105782531, node_all_bytes=212643726, node_operation_bytes=434882, node_max_coordinating_and_primary_bytes=213005107]"}],"type":"rejected_execution_exception","reason":"rejected execution of coordinating operation [shard_detail=[production-solutions][2][C], shard_coordinating_and_primary_bytes=29490684, shard_operation_bytes=434882, shard_max_coordinating_and_primary_bytes=34694922] OR [node_coordinating_and_primary_bytes=106861195, node_replica_bytes=105782531, node_all_bytes=212643726, node_operation_bytes=434882, node_max_coordinating_and_primary_bytes=213005107]"},"status":429}`
	// https://aws.amazon.com/premiumsupport/knowledge-center/opensearch-resolve-429-error/
	fixtureSearchRejected = `{"type":"es_rejected_execution_exception","reason":"rejected execution of org.elasticsearch.transport.TcpTransport$RequestHandler@3ad6b683 on EsThreadPoolExecutor[search, queue capacity = 1000, org.elasticsearch.common.util.concurrent.EsThreadPoolExecutor@bef81a5[Running, pool size = 25, active threads = 23, queued tasks = 1000, completed tasks = 440066695]]"}`
	// curator's issue tracker: the cluster state API on a managed domain
	fixtureNotAllowed = `{"Message":"Your request: '/_cluster/state/metadata/.kibana-4,command.php,elastalert_status,logstash-2016.07.31,logstash-2016.08.01' is not allowed."}`
	// https://github.com/aws-solutions/centralized-logging-with-opensearch/issues/172
	fixtureKMS = `An error occurred (ValidationException) when calling the UpdateElasticsearchDomainConfig operation: Error in Accessing KmsKeyID with details:User: arn:aws:sts::**********:assumed-role/CL-Pipe-7c6247c1-InitStackOpenSearchHelperRole046A-1NRFHEUW934UB/CL-Pipe-7c6247c1-OpenSearchHelperFn-6PdFQsjYjcbf is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:ap-southeast-1:**********:key/bbd26e05-7020-4076-bb1b-55ccc064d351 because no identity-based policy allows the kms:DescribeKey action (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: 62788aa9-e5dc-4221-b4b4-e8d44b241bd3; Proxy: null)`
	// https://github.com/Netflix/security_monkey/issues/77
	fixtureAssumeRole = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n    <Message>User: arn:aws:sts::123456789012:assumed-role/SecurityMonkeyInstanceProfile/i-e68888 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/SecurityMonkey</Message>\n  </Error>\n  <RequestId>fa2bundlksjdlfjs0uw9ue9</RequestId>\n</ErrorResponse>"
	// https://github.com/opensearch-project/opensearch-php/issues/113
	fixtureAOSSInvalidSignature = `{"status":403,"request-id":"223ed502-478d-9ba6-b577-66eefcc5ff86","error":{"reason":"Customer authentication failed: ResultDetail: { Code=InvalidSignature, Message=Invalid signature, does not match, }","type":"AccessDenied"}}`
	// AWS's access-denied wording for a deny in an organization's SCP (the
	// IAM guide's "access denied error messages"), for es.
	fixtureSCPDeny = `{"Message":"User: arn:aws:sts::123456789012:assumed-role/Reader/s1 is not authorized to perform: es:ESHttpGet on resource: arn:aws:es:us-east-1:123456789012:domain/logs/_search with an explicit deny in a service control policy"}`
	// A SigV4 header whose X-Amz-Date was dropped on the way (the
	// sigv4test verifier words it as AWS does).
	fixtureNoDate = `{"message":"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`
	// https://github.com/open-telemetry/opentelemetry-demo/issues/1392: a
	// flood-stage block, which OpenSearch 2 answers with 429.
	fixtureBlock429 = `{"type":"cluster_block_exception","reason":"index [otel] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];","caused_by":{"type":"","reason":"","caused_by":null}}`
	// https://github.com/awslabs/generative-ai-cdk-constructs/issues/322,
	// Serverless's words in OpenSearch's error envelope.
	fixtureAOSSAuthz = `{"error":{"root_cause":[{"type":"security_exception","reason":"OpenSearch exception [type=authorization_exception, reason=User does not have permissions for the requested resource]"}],"type":"security_exception","reason":"OpenSearch exception [type=authorization_exception, reason=User does not have permissions for the requested resource]"},"status":403}`
	// https://github.com/langflow-ai/openrag/issues/1210
	fixtureFGACAnonymous = `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=anonymous, backend_roles=[openrag_user], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=anonymous, backend_roles=[openrag_user], requestedTenant=null]"},"status":403}`
	// https://github.com/fluent/fluent-bit/issues/10428 (OpenSearch Ingestion)
	fixtureIngestion401 = `401 Unauthorized`
)

// TestDiagnoseEveryRefusalStatus: 413, 429, a 400 that is a KMS refusal
// and a 401 for an API the managed service does not offer each get their
// cause, and the fixes name what to do about the indirect causes.
func TestDiagnoseEveryRefusalStatus(t *testing.T) {
	es := sentVia(t, "POST", "https://search-d.us-east-1.es.amazonaws.com/_bulk", func(o *transport.Options) { o.Region = "" })
	search := sentVia(t, "GET", "https://search-d.us-east-1.es.amazonaws.com/_search", func(o *transport.Options) { o.Region = "" })
	catAll := sentVia(t, "GET", "https://search-d.us-east-1.es.amazonaws.com/_cat/indices", func(o *transport.Options) { o.Region = "" })
	aoss := sentVia(t, "POST", "https://abc123.us-east-1.aoss.amazonaws.com/idx/_search", func(o *transport.Options) { o.Region = "" })
	// Another signer's request, signed for us-east-1, sent to a collection
	// in us-west-2 (this transport refuses to sign it so).
	aossWrongRegion := aoss.Clone(aoss.Context())
	aossWrongRegion.URL.Host, aossWrongRegion.Host = "abc123.us-west-2.aoss.amazonaws.com", "abc123.us-west-2.aoss.amazonaws.com"
	aossStats := sentVia(t, "GET", "https://abc123.us-east-1.aoss.amazonaws.com/idx/_doc/order_stats_1", func(o *transport.Options) { o.Region = "" })
	osis := sentVia(t, "POST", "https://pipe-abc.us-east-1.osis.amazonaws.com/logs", func(o *transport.Options) { o.Service = "osis" })
	sts := sentVia(t, "POST", "https://sts.amazonaws.com/", func(o *transport.Options) { o.Service = "sts" })
	cases := []struct {
		name   string
		status int
		body   string
		hdr    http.Header
		req    *http.Request
		cause  transport.Cause
		says   []string
	}{
		{"413 payload limit", 413, fixtureTooLarge, nil, es, transport.CauseTooLarge, []string{"request too large", "(10485760 bytes)", "instance type", "smaller bulk batches"}},
		{"413 without a body", 413, "", nil, es, transport.CauseTooLarge, []string{"http.max_content_length"}},
		{"429 shard indexing pressure", 429, fixtureIndexingPressure, nil, es, transport.CauseBackpressure, []string{"indexing backpressure", "Back off", "smaller bulk requests", "scale"}},
		{"429 search queue", 429, fixtureSearchRejected, nil, search, transport.CauseThrottled, []string{"request throttling", "search thread pool", "back off"}},
		{"scope, newer wording", 403, `{"message":"The credential must be scoped to a valid region."}`, nil, es, transport.CauseCredentialScope, []string{"credential scope", "signed for region us-east-1"}},
		{"403 throttled", 403, `{"message":"Request throttled due to too many requests"}`, nil, es, transport.CauseThrottled, []string{"request throttling", "back off"}},
		{"429 with Retry-After", 429, "Too Many Requests", http.Header{"Retry-After": {"3"}}, es, transport.CauseThrottled, []string{"Retry-After: 3", "jitter"}},
		{"401 API not offered", 401, fixtureNotAllowed, nil, es, transport.CauseUnsupported, []string{"unsupported operation", "does not offer /_cluster/state/metadata", "GET _cluster/health"}},
		{"400 KMS key", 400, fixtureKMS, nil, es, transport.CauseKMSKey, []string{"KMS key permission denial", "kms:DescribeKey and kms:Decrypt", "key policy", "retry in a minute"}},
		{"STS AssumeRole denied", 403, fixtureAssumeRole, nil, sts, transport.CauseAccessPolicy, []string{"trust policy", "arn:aws:iam::123456789012:role/SecurityMonkeyInstanceProfile", "arn:aws:iam::210987654321:role/SecurityMonkey", "retry in a minute"}},
		{"access policy Resource without /*", 403, fixturePolicy, nil, es, transport.CauseAccessPolicy, []string{"arn:aws:es:us-east-1:123456789012:domain/logs/*", "with /*", "may not have taken effect yet: retry in a minute",
			"AWS says no statement in the IAM policy of the principal that signed"}},
		{"explicit deny in an SCP", 403, fixtureSCPDeny, nil, es, transport.CauseAccessPolicy, []string{"explicit deny in a service control policy of AWS Organizations", "no allow elsewhere overrides a deny"}},
		{"SigV4 header without its date", 403, fixtureNoDate, nil, es, transport.CauseNotSigV4, []string{"Authorization=AWS4-HMAC-SHA256 <redacted>", "X-Amz-Date header it signed was not sent"}},
		{"Serverless InvalidSignature", 403, fixtureAOSSInvalidSignature, nil, aoss, transport.CauseSignatureMismatch, []string{"x-amz-content-sha256", "wrong secret key"}},
		{"Serverless signed for another region", 403, fixtureAOSS, nil, aossWrongRegion, transport.CauseServerless, []string{"signed for region us-east-1 but the collection is in us-west-2"}},
		{"Serverless path holding _stats", 403, fixtureAOSS, nil, aossStats, transport.CauseUnsupported, []string{"_stats", "document id"}},
		{"Serverless data access policy", 403, fixtureAOSS, nil, aoss, transport.CauseServerless, []string{"data access policy", "retry in a minute"}},
		{"Ingestion's bare 401", 401, fixtureIngestion401, nil, osis, transport.CauseInvalidToken, []string{"OpenSearch Ingestion", "refresh the credentials", "osis:Ingest"}},
		{"429 flood-stage block", 429, fixtureBlock429, nil, es, transport.CauseClusterBlock, []string{"TOO_MANY_REQUESTS/12/disk usage exceeded", "FreeStorageSpace"}},
		{"Serverless authorization_exception, service unknown", 403, fixtureAOSSAuthz, nil, nil, transport.CauseServerless, []string{"data access policy", "aoss:APIAccessAll"}},
		// https://github.com/aws-ia/terraform-aws-bedrock/issues/102: fixed by
		// signing for the collection's region.
		{"Serverless authorization_exception, another region", 403, fixtureAOSSAuthz, nil, aossWrongRegion, transport.CauseServerless, []string{"signed for region us-east-1 but the collection is in us-west-2"}},
		// AWS's knowledge center, "troubleshoot fine-grained access control
		// errors": fixed by signing and mapping manage_snapshots.
		{"snapshot registration, iam:PassRole", 403, `{"Message":"User: anonymous is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/TheSnapshotRole"}`, nil, es, transport.CauseAccessPolicy,
			[]string{"iam:PassRole on the role", "manage_snapshots", "arn:aws:iam::123456789012:role/TheSnapshotRole"}},
		{"fine-grained access control, anonymous", 403, fixtureFGACAnonymous, nil, search, transport.CauseFineGrainedAccess, []string{"anonymous user", "Send credentials"}},
		{"_cat/indices over every index", 403, fixtureFGACInternal, nil, catAll, transport.CauseFineGrainedAccess, []string{"do_not_fail_on_forbidden", "index pattern"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := &http.Response{StatusCode: c.status, Header: c.hdr, Body: io.NopCloser(strings.NewReader(c.body)), Request: c.req}
			if res.Header == nil {
				res.Header = http.Header{}
			}
			err := transport.Diagnose(res)
			var d *transport.Diagnosis
			if !errors.As(err, &d) || d.Cause != c.cause || d.StatusCode != c.status {
				t.Fatalf("Diagnose = %v, want cause %v", err, c.cause)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("diagnosis does not say %q:\n%s", s, err)
				}
			}
			if rest, _ := io.ReadAll(res.Body); string(rest) != c.body {
				t.Errorf("body after Diagnose = %q, want it intact", rest)
			}
		})
	}
}

// TestEchoedAuthorizationRedactedFromBody: a credential AWS echoes from an
// Authorization header it was sent (basic auth added by a proxy in
// between, a bearer token) is redacted from the body the transport hands
// back, which is otherwise whole, and from the diagnosis (pointer or value)
// in every fmt verb.
func TestEchoedAuthorizationRedactedFromBody(t *testing.T) {
	for _, c := range []struct {
		body    string
		secrets []string
	}{
		// The request's own access key id, and a signature, echoed when a
		// proxy dropped X-Amz-Date.
		{strings.ReplaceAll(fixtureNoDate, "AKIAIOSFODNN7EXAMPLE", "AKIDSENTINELEXAMPLE1"), []string{"AKIDSENTINELEXAMPLE1", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{fixtureMissingEqual, []string{"YWRtaW46U0VOVElORUwtUEFTU1dPUkQ="}},
		{fixtureBasicEchoed, []string{"YWRtaW46U0VOVElORUwtUEFTU1dPUkQ="}},
		{fixtureBearerEchoed, []string{"eyJraWQiOiJTRU5USU5FTC1CRUFSRVIifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}},
	} {
		res, d := refusedGET(t, "https://search-d.us-east-1.es.amazonaws.com/", credentials.NewStatic("AKIDSENTINELEXAMPLE1", "secret", ""), "us-east-1",
			func() io.ReadCloser { return io.NopCloser(strings.NewReader(c.body)) })
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		want := c.body
		for _, secret := range c.secrets {
			want = strings.ReplaceAll(want, secret, "<redacted>")
		}
		if string(got) != want {
			t.Errorf("body handed back:\n%s\nwant:\n%s", got, want)
		}
		if d == nil {
			t.Fatal("no diagnosis")
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%t"} {
			for _, secret := range c.secrets {
				if s := fmt.Sprintf(verb, d) + fmt.Sprintf(verb, *d); strings.Contains(s, secret) || strings.Contains(s, fmt.Sprintf("%x", secret)) {
					t.Errorf("%s shows the echoed credential: %s", verb, s)
				}
			}
		}
	}
}
