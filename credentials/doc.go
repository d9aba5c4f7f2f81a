// Package credentials finds AWS credentials and the region for signing
// requests to Amazon OpenSearch Service, and keeps the credentials fresh.
//
// Every provider here is an aws.CredentialsProvider, and any aws-sdk-go-v2
// provider (AssumeRole through stscreds, SSO, web identity) can be used
// wherever one of these is: that interface is the plug.
//
// # Providers
//
//   - [NewStatic]: fixed keys, with or without a session token.
//   - [NewEnv]: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (what
//     AWS Lambda sets).
//   - [NewContainer]: the ECS, Fargate or EKS Pod Identity endpoint, through
//     aws-sdk-go-v2's endpointcreds. It reads
//     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (a path on 169.254.170.2) or
//     AWS_CONTAINER_CREDENTIALS_FULL_URI (loopback, 169.254.170.2,
//     169.254.170.23, fd00:ec2::23, or any https URL), with
//     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read at every retrieval) or
//     AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header. The
//     endpoint answers
//     {"AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...", "Expiration": "2026-11-22T12:00:00Z"}.
//   - [NewIMDS]: the EC2 instance role, through aws-sdk-go-v2's ec2rolecreds and
//     imds client (IMDSv2 first; IMDSv1 only when the token request is
//     refused and AWS_EC2_METADATA_V1_DISABLED is not true). It honours
//     AWS_EC2_METADATA_DISABLED and AWS_EC2_METADATA_SERVICE_ENDPOINT.
//   - [NewDefaultChain]: aws-sdk-go-v2's default chain (config.LoadDefaultConfig),
//     which adds shared profiles, web identity (EKS IRSA), SSO and process
//     credentials.
//
// # Chain and cache
//
// [NewDefaultChain] tries static keys (when given) > environment >
// container endpoint > instance metadata. A [Chain] moves past a source only
// when it is not configured; when nothing is found its [*ChainError] names
// every source tried and why. Wrap any provider in a [Cache] to refresh
// ahead of expiry in the background, one retrieval at a time, while the
// current credentials keep serving.
//
//	creds := credentials.NewCache(credentials.NewChain(credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS()))
//
// # Region
//
// [ResolveRegion] looks at, in order: an explicit region, AWS_REGION,
// AWS_DEFAULT_REGION, the endpoint's host name ([ParseEndpoint]), the shared
// config profile, and the EC2 instance's placement.
//
// Nothing in this package does network I/O when it is constructed. No
// error, log line or formatted value of a type of this package contains a
// secret access key or a session token.
package credentials
