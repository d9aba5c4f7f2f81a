//go:build race

package signer

// raceEnabled reports a build with the race detector, which changes
// allocation counts.
const raceEnabled = true
