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
// # Chains and cache
//
// [NewDefaultChain] is aws-sdk-go-v2's own default chain, the one
// transport.New uses when given no provider. It takes the first source that
// is configured, in this order: a profile named in code
// (config.WithSharedConfigProfile); the environment keys; web identity from
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN; the shared config and
// credentials files' profile (AWS_PROFILE, else "default": keys, an
// assumed role, SSO, credential_process, web identity); the container
// endpoint; EC2 instance metadata (tried once, with short timeouts).
//
// A [Chain] is a chain of your own: it tries its providers in the order
// given and moves past one only when its source is not configured (its
// error wraps [ErrNotConfigured]); a source that is configured but fails
// stops the chain. When nothing is found, its [*ChainError] names every
// source tried and why each gave none. Wrap any provider in a [Cache] to
// refresh ahead of expiry in the background, one retrieval at a time, while
// the current credentials keep serving; transport.New does that for any
// provider that is not already a cache.
//
//	creds := credentials.NewCache(credentials.NewChain(credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS()))
//
// # Region
//
// [ResolveRegion] looks at, in order: an explicit region, the endpoint's
// host name ([ParseEndpoint]; AWS refuses a signature for any region but
// the one it names, so it wins over the environment), AWS_REGION,
// AWS_DEFAULT_REGION, the shared config profile, and the EC2 instance's
// placement. On Lambda, AWS_REGION is the function's own region, which need
// not be the domain's.
//
// Nothing in this package does network I/O when it is constructed. No
// error, log line or formatted value of a type of this package contains a
// secret access key or a session token.
package credentials
