// Package bench holds benchmarks of this module side by side with the
// implementations users would otherwise pick: aws-sdk-go-v2's v4.Signer and
// opensearch-go v2's signer/awsv2. Run them all in one go:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./bench | tee bench.txt
//	benchstat bench.txt
package bench
