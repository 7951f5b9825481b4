package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFrom(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}}
	dirty := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ld   [3]string
		want Info
	}{
		{"go install at a version, with VCS stamp", stamped, [3]string{},
			Info{Version: "v1.4.0", Commit: "0123abc", Date: "2026-12-01T10:00:00Z", Go: "go1.26.8"}},
		{"a source tree with changes", dirty, [3]string{},
			Info{Version: Unknown, Commit: "0123abc-dirty", Date: Unknown, Go: "go1.26.8"}},
		{"-ldflags at release win", dirty, [3]string{"v2.0.0", "fedcba9", "2026-12-06T00:00:00Z"},
			Info{Version: "v2.0.0", Commit: "fedcba9", Date: "2026-12-06T00:00:00Z", Go: "go1.26.8"}},
		{"no stamp: unknown, not a guess", &debug.BuildInfo{GoVersion: "go1.26.8"}, [3]string{},
			Info{Version: Unknown, Commit: Unknown, Date: Unknown, Go: "go1.26.8"}},
		{"no build information at all", nil, [3]string{},
			Info{Version: Unknown, Commit: Unknown, Date: Unknown, Go: Unknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, from(tc.bi, tc.ld[0], tc.ld[1], tc.ld[2]))
		})
	}
}
