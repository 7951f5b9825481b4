//go:build race

package checks_test

// raceEnabled: the race detector changes what escapes, so allocation
// counts are not this build's to judge.
const raceEnabled = true
