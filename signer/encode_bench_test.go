package signer

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

// BenchmarkHexSum: hexSum beside encoding/hex, for the figure in hexSum's
// comment.
func BenchmarkHexSum(b *testing.B) {
	sum := sha256.Sum256([]byte("a canonical request"))
	var dst [2 * sha256.Size]byte
	b.Run("hexSum", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hexSum(&dst, &sum)
		}
	})
	b.Run("hex.Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hex.Encode(dst[:], sum[:])
		}
	})
}

// BenchmarkAmzDate: appendAmzDate beside time.AppendFormat, for the figure
// in appendAmzDate's comment.
func BenchmarkAmzDate(b *testing.B) {
	t := time.Date(2026, 12, 6, 5, 30, 1, 0, time.UTC)
	dst := make([]byte, 0, 16)
	b.Run("appendAmzDate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst = appendAmzDate(dst[:0], t)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dst = t.UTC().AppendFormat(dst[:0], amzDateFmt)
		}
	})
}
